/** The transport: services may fetch. */
export class ApiError extends Error {}

export async function getJson(path: string): Promise<unknown> {
  return (await fetch(path)).json();
}
