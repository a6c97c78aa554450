// gitlab-ci-local 4.75 uses the Set methods of Node.js 22 (union, intersection, ...); this machine
// has Node.js 20. Loaded with `node --import` before it; defines only what is missing.
const methods = {
  union(other) { return new Set([...this, ...other]); },
  intersection(other) { const o = new Set(other); return new Set([...this].filter((x) => o.has(x))); },
  difference(other) { const o = new Set(other); return new Set([...this].filter((x) => !o.has(x))); },
  symmetricDifference(other) {
    const o = new Set(other);
    return new Set([...[...this].filter((x) => !o.has(x)), ...[...o].filter((x) => !this.has(x))]);
  },
  isSubsetOf(other) { const o = new Set(other); return [...this].every((x) => o.has(x)); },
  isSupersetOf(other) { return [...new Set(other)].every((x) => this.has(x)); },
  isDisjointFrom(other) { const o = new Set(other); return [...this].every((x) => !o.has(x)); },
};
for (const [name, fn] of Object.entries(methods)) {
  if (typeof Set.prototype[name] !== "function") {
    Object.defineProperty(Set.prototype, name, { value: fn, writable: true, configurable: true });
  }
}
