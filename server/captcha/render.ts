/**
 * The CAPTCHA image: a server-rendered PNG (never SVG, whose paths give the letters away) drawn
 * with @napi-rs/canvas (Skia) and DejaVu Sans Bold, which ships in server/captcha/fonts/. Every
 * render draws afresh from the random source: a tinted background with soft blobs, each glyph
 * with a random rotation, scale, skew and offset and neighbours touching, glyphs and curves
 * across them in one dark hue family (colour does not separate them), dots, and finally a random
 * sine warp of the columns.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import { packageRoot } from '../paths.js';
import type { RandomSource } from '../random.js';

export const CAPTCHA_WIDTH = 200;
export const CAPTCHA_HEIGHT = 70;

/** The font family registered with Skia for CAPTCHA glyphs. */
const FONT_FAMILY = 'Parley CAPTCHA';

export interface CaptchaRenderer {
  /** PNG bytes of the answer, distorted afresh from `random` on every call. */
  render(answer: string, random: RandomSource): Promise<Uint8Array>;
}

/** The font shipped with the project (see server/captcha/fonts/README.md for its licence). */
export function defaultCaptchaFontFile(): string {
  return join(packageRoot(), 'server', 'captcha', 'fonts', 'DejaVuSans-Bold.ttf');
}

export function createCaptchaRenderer(options: { fontFile?: string } = {}): CaptchaRenderer {
  const fontFile = options.fontFile ?? defaultCaptchaFontFile();
  // Skia would silently fall back to another font: refuse to start without ours.
  if (!existsSync(fontFile)) throw new Error(`the CAPTCHA font ${fontFile} is missing`);
  if (!GlobalFonts.has(FONT_FAMILY) && !GlobalFonts.registerFromPath(fontFile, FONT_FAMILY)) {
    throw new Error(`cannot load the CAPTCHA font ${fontFile}`);
  }
  return {
    async render(answer, random) {
      if (answer.length < 1 || answer.length > 8)
        throw new Error('CAPTCHA answers have 1 to 8 characters');
      const draw = uniformSource(random);
      const text = createCanvas(CAPTCHA_WIDTH, CAPTCHA_HEIGHT);
      const context = text.getContext('2d');
      paintBackground(context, draw);
      // One hue family for glyphs and curves alike, so colour does not separate them.
      const inkHue = draw.between(0, 360);
      paintGlyphs(context, answer, draw, inkHue);
      paintNoise(context, draw, inkHue);
      // The sine warp: each column moves up or down by a smoothly varying amount.
      const warped = createCanvas(CAPTCHA_WIDTH, CAPTCHA_HEIGHT);
      const out = warped.getContext('2d');
      out.fillStyle = context.fillStyle;
      out.drawImage(text, 0, 0);
      const amplitude = draw.between(3, 5.5);
      const period = draw.between(45, 90);
      const phase = draw.between(0, 2 * Math.PI);
      for (let x = 0; x < CAPTCHA_WIDTH; x += 2) {
        const dy = amplitude * Math.sin((2 * Math.PI * x) / period + phase);
        out.drawImage(text, x, 0, 2, CAPTCHA_HEIGHT, x, dy, 2, CAPTCHA_HEIGHT);
      }
      return new Uint8Array(await warped.encode('png'));
    },
  };
}

interface Uniform {
  /** A uniform number in [min, max). */
  between(min: number, max: number): number;
}

/** Uniform numbers from the random source, 32 bits each, fetched in batches. */
function uniformSource(random: RandomSource): Uniform {
  let pool = new Uint32Array(0);
  let index = 0;
  return {
    between(min, max) {
      if (index >= pool.length) {
        pool = new Uint32Array(Uint8Array.from(random.bytes(256)).buffer);
        index = 0;
      }
      const unit = pool[index++]! / 2 ** 32;
      return min + unit * (max - min);
    },
  };
}

function hsl(hue: number, saturation: number, lightness: number, alpha = 1): string {
  return `hsla(${hue.toFixed(0)}, ${saturation.toFixed(0)}%, ${lightness.toFixed(0)}%, ${alpha.toFixed(2)})`;
}

function paintBackground(context: SKRSContext2D, draw: Uniform): void {
  const hue = draw.between(0, 360);
  const gradient = context.createLinearGradient(0, 0, CAPTCHA_WIDTH, CAPTCHA_HEIGHT);
  gradient.addColorStop(0, hsl(hue, 40, 93));
  gradient.addColorStop(1, hsl(hue + draw.between(60, 180), 40, 88));
  context.fillStyle = gradient;
  context.fillRect(0, 0, CAPTCHA_WIDTH, CAPTCHA_HEIGHT);
  for (let i = 0; i < 6; i += 1) {
    context.fillStyle = hsl(draw.between(0, 360), 50, draw.between(75, 88), 0.5);
    context.beginPath();
    context.ellipse(
      draw.between(0, CAPTCHA_WIDTH),
      draw.between(0, CAPTCHA_HEIGHT),
      draw.between(10, 40),
      draw.between(6, 20),
      draw.between(0, Math.PI),
      0,
      2 * Math.PI,
    );
    context.fill();
  }
}

function paintGlyphs(context: SKRSContext2D, answer: string, draw: Uniform, inkHue: number): void {
  context.textAlign = 'center';
  context.textBaseline = 'middle';
  const glyphs = [...answer].map((char) => {
    const size = draw.between(36, 44);
    const scaleX = draw.between(0.85, 1.15);
    context.font = `${size.toFixed(1)}px "${FONT_FAMILY}"`;
    return { char, size, scaleX, width: context.measureText(char).width * scaleX };
  });
  // Glyphs advance by their own widths (W and M are wide) and overlap their neighbours a little;
  // the row is shrunk to fit the image when it would not.
  const overlap = 4;
  const natural =
    glyphs.reduce((sum, glyph) => sum + glyph.width, 0) - overlap * (glyphs.length - 1);
  const fit = Math.min(1, (CAPTCHA_WIDTH - 20) / natural);
  let x = (CAPTCHA_WIDTH - natural * fit) / 2;
  for (const glyph of glyphs) {
    const width = glyph.width * fit;
    context.save();
    context.translate(
      x + width / 2 + draw.between(-2, 2),
      CAPTCHA_HEIGHT / 2 + draw.between(-7, 7),
    );
    context.rotate(draw.between(-0.4, 0.4));
    context.transform(1, 0, draw.between(-0.25, 0.25), 1, 0, 0); // skew
    context.scale(glyph.scaleX * fit, draw.between(0.9, 1.2) * fit);
    context.font = `${glyph.size.toFixed(1)}px "${FONT_FAMILY}"`;
    context.fillStyle = hsl(
      inkHue + draw.between(-25, 25),
      draw.between(50, 90),
      draw.between(15, 35),
    );
    context.fillText(glyph.char, 0, 0);
    context.restore();
    x += width - overlap * fit;
  }
}

function paintNoise(context: SKRSContext2D, draw: Uniform, inkHue: number): void {
  // Curves across the text in the glyphs' colours.
  for (let i = 0; i < 3; i += 1) {
    context.strokeStyle = hsl(
      inkHue + draw.between(-25, 25),
      60,
      draw.between(20, 40),
      draw.between(0.55, 0.8),
    );
    context.lineWidth = draw.between(1, 2.2);
    context.beginPath();
    context.moveTo(draw.between(-10, 30), draw.between(5, CAPTCHA_HEIGHT - 5));
    context.bezierCurveTo(
      draw.between(30, 90),
      draw.between(-20, CAPTCHA_HEIGHT + 20),
      draw.between(110, 170),
      draw.between(-20, CAPTCHA_HEIGHT + 20),
      draw.between(170, CAPTCHA_WIDTH + 10),
      draw.between(5, CAPTCHA_HEIGHT - 5),
    );
    context.stroke();
  }
  for (let i = 0; i < 220; i += 1) {
    context.fillStyle = hsl(draw.between(0, 360), 50, draw.between(10, 70), draw.between(0.4, 0.9));
    const size = draw.between(0.8, 2.2);
    context.fillRect(draw.between(0, CAPTCHA_WIDTH), draw.between(0, CAPTCHA_HEIGHT), size, size);
  }
}
