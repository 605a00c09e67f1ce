import { existsSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { systemRandom } from '../random.js';
import { generateCaptchaAnswer } from './answer.js';
import {
  CAPTCHA_HEIGHT,
  CAPTCHA_WIDTH,
  createCaptchaRenderer,
  defaultCaptchaFontFile,
} from './render.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  // IHDR is the first chunk: length (4), type (4), then width and height.
  expect(String.fromCharCode(...png.slice(12, 16))).toBe('IHDR');
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** The PNG's decompressed pixel rows (filter bytes included): enough to compare two images. */
function pixelData(png: Uint8Array): Buffer {
  const chunks: Buffer[] = [];
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let offset = 8; offset < png.length; ) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...png.slice(offset + 4, offset + 8));
    if (type === 'IDAT') chunks.push(Buffer.from(png.slice(offset + 8, offset + 8 + length)));
    offset += 12 + length;
  }
  return inflateSync(Buffer.concat(chunks));
}

describe('createCaptchaRenderer', () => {
  const renderer = createCaptchaRenderer();

  it('renders a 200×70 PNG (a raster image, never SVG)', async () => {
    const png = await renderer.render(generateCaptchaAnswer(systemRandom), systemRandom);
    expect([...png.slice(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(pngSize(png)).toEqual({ width: CAPTCHA_WIDTH, height: CAPTCHA_HEIGHT });
    expect(Buffer.from(png).toString('latin1')).not.toMatch(/<svg|<path/i);
    // Noise and glyphs make a busy image: it does not compress to almost nothing.
    expect(png.length).toBeGreaterThan(8_000);
  });

  it('draws a different image for the same answer every time', async () => {
    const images = await Promise.all(
      Array.from({ length: 3 }, () => renderer.render('K7MRX4', systemRandom)),
    );
    const pixels = images.map(pixelData);
    expect(pixels[0]!.equals(pixels[1]!)).toBe(false);
    expect(pixels[1]!.equals(pixels[2]!)).toBe(false);
    // and differs in many places, not in a pixel or two
    let differing = 0;
    for (let i = 0; i < pixels[0]!.length; i += 1)
      if (pixels[0]![i] !== pixels[1]![i]) differing += 1;
    expect(differing / pixels[0]!.length).toBeGreaterThan(0.3);
  });

  it('leaves the answer out of the file (no text chunks)', async () => {
    const png = await renderer.render('K7MRX4', systemRandom);
    const text = Buffer.from(png).toString('latin1');
    expect(text).not.toContain('K7MRX4');
    expect(text).not.toMatch(/tEXt|iTXt|zTXt/);
  });

  it('renders the fixed test-mode answer too, and refuses an empty or overlong one', async () => {
    expect(pngSize(await renderer.render('TEST42', systemRandom)).width).toBe(CAPTCHA_WIDTH);
    await expect(renderer.render('', systemRandom)).rejects.toThrow();
    await expect(renderer.render('ABCDEFGHJ', systemRandom)).rejects.toThrow();
  });

  it('refuses to start without its font rather than fall back to a system font', () => {
    expect(() => createCaptchaRenderer({ fontFile: '/nonexistent/font.ttf' })).toThrow(/missing/);
  });

  it('uses the font that ships in the repository', () => {
    expect(existsSync(defaultCaptchaFontFile())).toBe(true);
    expect(defaultCaptchaFontFile()).toMatch(/server\/captcha\/fonts\/DejaVuSans-Bold\.ttf$/);
  });
});
