// A small bounded LRU with a time-to-live, usable as Baileys' CacheStore. Baileys' default
// caches are unbounded (memory reports #1370, #2090); with many instances per process every
// cache we hand it must have a ceiling.
import type { CacheStore } from 'baileys';

export class BoundedCache<V = unknown> implements CacheStore {
  private readonly map = new Map<string, { value: V; expires: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get<T = V>(key: string): T | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (hit.expires <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    // Re-insert: Map keeps insertion order, so the first key is always the least recently used.
    this.map.delete(key);
    this.map.set(key, hit);
    return hit.value as unknown as T;
  }

  set<T = V>(key: string, value: T): void {
    this.map.delete(key);
    this.map.set(key, { value: value as unknown as V, expires: this.now() + this.ttlMs });
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  del(key: string): void {
    this.map.delete(key);
  }

  flushAll(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
