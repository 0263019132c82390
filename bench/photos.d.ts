/** One seeded camera-like scene (gradient, shapes, sensor noise) encoded as JPEG or PNG. */
export function makePhoto(o: { width: number; height: number; seed: number; format?: "jpeg" | "png"; quality?: number }): Promise<Buffer>;
