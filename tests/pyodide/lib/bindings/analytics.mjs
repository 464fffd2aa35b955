// Workers Analytics Engine: `writeDataPoint` is synchronous and returns undefined in production;
// points are kept so a smoke case can look at them. Limits as documented (20 blobs, 20 doubles,
// 1 index of <= 96 bytes, 16 KB of blobs).
export class AnalyticsEngineDataset {
  constructor(points = []) {
    this.points = points;
  }

  writeDataPoint(point = {}) {
    point ??= {};
    const { blobs = [], doubles = [], indexes = [] } = point;
    if (blobs.length > 20) throw new Error(`Too many blobs: ${blobs.length} (max 20)`);
    if (doubles.length > 20) throw new Error(`Too many doubles: ${doubles.length} (max 20)`);
    if (indexes.length > 1) throw new Error(`Too many indexes: ${indexes.length} (max 1)`);
    this.points.push(structuredClone({ blobs, doubles, indexes }));
  }
}
