// Camera-size test photos with real image content, made by sharp from a seed:
// a sky-to-ground gradient, soft-edged shapes (discs, boxes, a horizon of
// hills) in seeded colours, and Gaussian sensor noise over all of it, so a
// JPEG of it is about as costly to decode as a photo (entropy in every block)
// and resizing it is not trivially exact. Used by bench:ingest and the tests.
import sharp from "sharp";
import { mulberry32 } from "../dist/data/random.js";

/**
 * One seeded scene as an encoded image.
 * @param {{ width: number, height: number, seed: number, format?: "jpeg" | "png", quality?: number }} o
 * @returns {Promise<Buffer>}
 */
export async function makePhoto({ width, height, seed, format = "jpeg", quality = 90 }) {
  const r = mulberry32(seed);
  const hue = () => Math.floor(r() * 360);
  const col = (l) => `hsl(${hue()},${Math.round(40 + r() * 50)}%,${l ?? Math.round(25 + r() * 50)}%)`;
  const shapes = [];
  for (let i = 0; i < 14; i++) {
    const x = r() * width, y = r() * height, s = (0.04 + r() * 0.2) * Math.min(width, height);
    shapes.push(r() < 0.5
      ? `<circle cx="${x.toFixed(0)}" cy="${y.toFixed(0)}" r="${s.toFixed(0)}" fill="${col()}" opacity="${(0.5 + r() * 0.5).toFixed(2)}"/>`
      : `<rect x="${x.toFixed(0)}" y="${y.toFixed(0)}" width="${(s * 1.6).toFixed(0)}" height="${s.toFixed(0)}" fill="${col()}" transform="rotate(${(r() * 60 - 30).toFixed(0)} ${x.toFixed(0)} ${y.toFixed(0)})"/>`);
  }
  let hills = `M0 ${height}`;
  for (let k = 0; k <= 8; k++) hills += ` L${((k / 8) * width).toFixed(0)} ${((0.55 + r() * 0.2) * height).toFixed(0)}`;
  hills += ` L${width} ${height} Z`;
  // the scene is drawn at a quarter of the size and enlarged (drawing 12 MP of SVG takes seconds);
  // the noise, a seeded 509×509 tile repeated, brings back per-pixel detail
  const sw = Math.max(8, Math.round(width / 4)), sh = Math.max(8, Math.round(height / 4));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs><linearGradient id="g" x1="0" y1="0" x2="${r().toFixed(2)}" y2="1"><stop offset="0" stop-color="${col(80)}"/><stop offset="1" stop-color="${col(30)}"/></linearGradient></defs>
<rect width="100%" height="100%" fill="url(#g)"/><path d="${hills}" fill="${col(35)}"/>${shapes.join("")}</svg>`;
  const scene = await sharp(Buffer.from(svg), { density: 72 / 4 }).resize(sw, sh, { fit: "fill" }).toBuffer();
  const img = sharp(scene).resize(width, height, { fit: "fill", kernel: "cubic" })
    .composite([{ input: await noiseTile(seed, Math.min(509, width, height)), tile: true, blend: "soft-light" }])
    .removeAlpha();
  return format === "png" ? img.png({ compressionLevel: 1 }).toBuffer() : img.jpeg({ quality }).toBuffer();
}

/** A seeded n × n tile of Gaussian-ish noise around mid gray (the library's generator, so it is the same everywhere). */
async function noiseTile(seed, n) {
  const r = mulberry32(seed ^ 0x9e3779b9), px = Buffer.alloc(n * n * 3);
  for (let i = 0; i < px.length; i++) px[i] = Math.max(0, Math.min(255, Math.round(128 + 40 * (r() + r() + r() - 1.5))));
  return sharp(px, { raw: { width: n, height: n, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}
