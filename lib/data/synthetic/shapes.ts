/**
 * Object shape families as signed distance functions in a unit frame (the shape fits in the unit
 * disc; negative inside). A signed distance gives analytic anti-aliasing: a pixel's coverage of a
 * straight edge is clamp(0.5 - d, 0, 1) with d in pixels, so masks come out soft (0..255) like
 * u2net's, and re-rendering the same pose reproduces the mask exactly.
 */
export const SHAPE_FAMILIES = [
  'circle',
  'square',
  'triangle',
  'star',
  'hexagon',
  'cross',
  'ring',
  'diamond',
  'crescent',
] as const;
export type ShapeFamily = (typeof SHAPE_FAMILIES)[number];

export interface Shape {
  /** Signed distance from (x, y) to the outline, in unit-frame units. */
  sdf(x: number, y: number): number;
  /** Area inside the outline in the unit frame (to pick a scale that gives a target image fraction). */
  readonly area: number;
}

type Pt = [number, number];

function regularPolygon(n: number, radius: number, phase: number): Pt[] {
  const out: Pt[] = [];
  for (let i = 0; i < n; i++) {
    const a = phase + (2 * Math.PI * i) / n;
    out.push([radius * Math.cos(a), radius * Math.sin(a)]);
  }
  return out;
}

function polygonArea(v: Pt[]): number {
  let s = 0;
  for (let i = 0, j = v.length - 1; i < v.length; j = i++) s += v[j][0] * v[i][1] - v[i][0] * v[j][1];
  return Math.abs(s) / 2;
}

/** Exact signed distance to a simple polygon (winding-number sign; after Inigo Quilez). */
function polygonSdf(v: Pt[]): (x: number, y: number) => number {
  const n = v.length;
  const vx = Float64Array.from(v, (p) => p[0]);
  const vy = Float64Array.from(v, (p) => p[1]);
  return (px, py) => {
    let d = (px - vx[0]) ** 2 + (py - vy[0]) ** 2;
    let s = 1;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const ex = vx[j] - vx[i],
        ey = vy[j] - vy[i];
      const wx = px - vx[i],
        wy = py - vy[i];
      const t = Math.min(1, Math.max(0, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
      const bx = wx - ex * t,
        by = wy - ey * t;
      d = Math.min(d, bx * bx + by * by);
      const c1 = py >= vy[i],
        c2 = py < vy[j],
        c3 = ex * wy > ey * wx;
      if ((c1 && c2 && c3) || (!c1 && !c2 && !c3)) s = -s;
    }
    return s * Math.sqrt(d);
  };
}

function polygonShape(v: Pt[]): Shape {
  return { sdf: polygonSdf(v), area: polygonArea(v) };
}

function star(points: number, inner: number): Pt[] {
  const out: Pt[] = [];
  for (let i = 0; i < 2 * points; i++) {
    const r = i % 2 === 0 ? 1 : inner;
    const a = -Math.PI / 2 + (Math.PI * i) / points;
    out.push([r * Math.cos(a), r * Math.sin(a)]);
  }
  return out;
}

function cross(halfWidth: number): Pt[] {
  const w = halfWidth,
    l = 0.94; // corners stay inside the unit disc
  return [
    [w, -l],
    [w, -w],
    [l, -w],
    [l, w],
    [w, w],
    [w, l],
    [-w, l],
    [-w, w],
    [-l, w],
    [-l, -w],
    [-w, -w],
    [-w, -l],
  ];
}

function buildShape(family: ShapeFamily): Shape {
  switch (family) {
    case 'circle':
      return { sdf: (x, y) => Math.hypot(x, y) - 0.95, area: Math.PI * 0.95 ** 2 };
    case 'square':
      return polygonShape(regularPolygon(4, 1, Math.PI / 4));
    case 'triangle':
      return polygonShape(regularPolygon(3, 1, -Math.PI / 2));
    case 'star':
      return polygonShape(star(5, 0.45));
    case 'hexagon':
      return polygonShape(regularPolygon(6, 1, 0));
    case 'cross':
      return polygonShape(cross(0.32));
    case 'ring': {
      // annulus with radii 0.5..0.95: the hole shows background, so the mask has an inner edge too
      const mid = 0.725,
        half = 0.225;
      return { sdf: (x, y) => Math.abs(Math.hypot(x, y) - mid) - half, area: Math.PI * (0.95 ** 2 - 0.5 ** 2) };
    }
    case 'diamond':
      return polygonShape([
        [0, -1],
        [0.55, 0],
        [0, 1],
        [-0.55, 0],
      ]);
    case 'crescent': {
      // disc minus an offset disc; max(d1, -d2) is the exact inside test and a close distance near edges
      const r1 = 0.95,
        r2 = 0.75,
        off = 0.5;
      const lens = lensArea(r1, r2, off);
      return {
        sdf: (x, y) => Math.max(Math.hypot(x, y) - r1, r2 - Math.hypot(x - off, y)),
        area: Math.PI * r1 * r1 - lens,
      };
    }
  }
}

/** Area of the intersection of two discs with radii a, b at centre distance d. */
function lensArea(a: number, b: number, d: number): number {
  const alpha = Math.acos((d * d + a * a - b * b) / (2 * d * a));
  const beta = Math.acos((d * d + b * b - a * a) / (2 * d * b));
  return a * a * (alpha - Math.sin(2 * alpha) / 2) + b * b * (beta - Math.sin(2 * beta) / 2);
}

const cache = new Map<ShapeFamily, Shape>();

export function shapeOf(family: ShapeFamily): Shape {
  let s = cache.get(family);
  if (!s) {
    if (!SHAPE_FAMILIES.includes(family)) throw new Error(`unknown shape family '${family}'`);
    s = buildShape(family);
    cache.set(family, s);
  }
  return s;
}
