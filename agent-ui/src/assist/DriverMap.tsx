import type { GeoPoint, InCarPop } from '@shared/assist';
import outline from './china-outline.json';

/**
 * The car on maps drawn from data shipped with the app (no tile server): China's simplified outline
 * with the car, and a close-up of the car, its heading, its last positions and the nearest stores.
 */

type Ring = number[][];
const polygons = (outline as { features: { geometry: { coordinates: Ring[][] } }[] }).features[0]?.geometry.coordinates ?? [];

function project(box: { w: number; s: number; e: number; n: number }, width: number, height: number): (p: GeoPoint) => [number, number] {
  const k = Math.cos((((box.s + box.n) / 2) * Math.PI) / 180);
  const sx = width / ((box.e - box.w) * k);
  const sy = height / (box.n - box.s);
  const scale = Math.min(sx, sy);
  const ox = (width - (box.e - box.w) * k * scale) / 2;
  const oy = (height - (box.n - box.s) * scale) / 2;
  return (p) => [ox + (p.lon - box.w) * k * scale, oy + (box.n - p.lat) * scale];
}

/** China with the car; `inset` places it inside another SVG (a corner of the close-up). */
export function ChinaOverview({ car, inset }: { car: GeoPoint | null; inset?: { x: number; y: number; width: number } }): React.JSX.Element {
  const W = 200;
  const H = 150;
  const pr = project({ w: 73, s: 17.5, e: 135.5, n: 54 }, W, H);
  const path = polygons.map((poly) => poly.map((ring) => ring.map((c, i) => `${i === 0 ? 'M' : 'L'}${pr({ lon: c[0] as number, lat: c[1] as number }).map((v) => v.toFixed(1)).join(',')}`).join('') + 'Z').join('')).join('');
  const at = car ? pr(car) : undefined;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} className="assist-map-overview" data-testid="assist-overview" role="img" {...(inset ? { x: inset.x, y: inset.y, width: inset.width, height: (inset.width * H) / W } : {})}>
      <rect x={0} y={0} width={W} height={H} fill="#ffffff" fillOpacity={0.9} stroke="#dbe3ef" rx={8} />
      <path d={path} fill="#eef3fb" stroke="#8fa6c7" strokeWidth={0.8} />
      {at && (
        <g>
          <circle cx={at[0]} cy={at[1]} r={7} fill="rgba(245,34,45,0.18)" />
          <circle cx={at[0]} cy={at[1]} r={3} fill="#f5222d" />
        </g>
      )}
    </svg>
  );
}

export function LocalMap({ pop }: { pop: InCarPop }): React.JSX.Element | null {
  const car = pop.position;
  if (!car) return null;
  // the close-up shows the stores within reach (at most 4, within 60 km; always the nearest)
  const stores = pop.nearestStores.filter((st, i) => i === 0 || st.distanceKm <= 60).slice(0, 4);
  const pts: GeoPoint[] = [car, ...stores.map((s) => s.position), ...pop.recentPositions];
  const pad = 0.02;
  const box = { w: Math.min(...pts.map((p) => p.lon)) - pad, e: Math.max(...pts.map((p) => p.lon)) + pad, s: Math.min(...pts.map((p) => p.lat)) - pad, n: Math.max(...pts.map((p) => p.lat)) + pad };
  const W = 460;
  const H = 250;
  const inset = 120;
  const pr = project(box, W - inset - 130, H - 40);
  const at = (p: GeoPoint): [number, number] => {
    const [x, y] = pr(p);
    return [x + inset + 20, y + 20];
  };
  const [cx, cy] = at(car);
  const trail = (pop.msd?.recentPositions ?? []).map(at);
  const heading = pop.headingDeg;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} className="assist-map-local" data-testid="assist-map" role="img">
      <rect x={0} y={0} width={W} height={H} fill="#f7f9fc" stroke="#e6ebf2" rx={6} />
      <ChinaOverview car={car} inset={{ x: 6, y: 6, width: inset }} />
      {stores.map((s, i) => {
        const [x, y] = at(s.position);
        return (
          <g key={s.storeId} data-testid="assist-map-store">
            <line x1={cx} y1={cy} x2={x} y2={y} stroke="#b7c6dc" strokeDasharray="3 3" />
            <rect x={x - 5} y={y - 5} width={10} height={10} rx={2} fill={i === 0 ? '#1668dc' : '#69b1ff'} />
            <text x={x + 8} y={y + 4} fontSize={11} fill="#1f2d3d">
              {s.name} · {s.distanceKm}km
            </text>
          </g>
        );
      })}
      {trail.length > 0 && <polyline points={[[cx, cy], ...trail].map((p) => p.join(',')).join(' ')} fill="none" stroke="#fa8c16" strokeWidth={2} />}
      {heading !== null && <line x1={cx} y1={cy} x2={cx + 22 * Math.sin((heading * Math.PI) / 180)} y2={cy - 22 * Math.cos((heading * Math.PI) / 180)} stroke="#f5222d" strokeWidth={2.5} markerEnd="url(#arrow)" />}
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#f5222d" />
        </marker>
      </defs>
      <circle cx={cx} cy={cy} r={11} fill="rgba(245,34,45,0.15)" />
      <circle cx={cx} cy={cy} r={5} fill="#f5222d" stroke="#fff" strokeWidth={1.5} data-testid="assist-map-car" />
      <text x={W - 8} y={H - 8} fontSize={10} fill="#8c8c8c" textAnchor="end">
        {car.lat.toFixed(5)}, {car.lon.toFixed(5)}
      </text>
    </svg>
  );
}
