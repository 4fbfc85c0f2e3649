import { expect } from "chai";
import { decodeCell, keyTextOfParts } from "../../../drills/validation/decode";

/** Sums of a cell made of rows `[key parts, hash]`, as a manifest keeps them. */
function cell(rows: Array<[bigint[], bigint]>) {
  const n = rows[0]?.[0].length ?? 1;
  return {
    rows: rows.length,
    sum: rows.reduce((s, [, h]) => s + h, 0n),
    parts: Array.from({ length: n }, (_, i) => rows.reduce((s, [k]) => s + k[i]!, 0n)),
    products: Array.from({ length: n }, (_, i) => rows.reduce((s, [k, h]) => s + k[i]! * h, 0n)),
  };
}

describe("decoding a cell's difference from its sums", function () {
  const base: Array<[bigint[], bigint]> = [
    [[1n], 8_000_000_000_000_000_001n],
    [[7n], -5_000_000_000_000_000_003n],
    [[-40n], 123_456_789n],
  ];

  it("names the key of one changed row, whatever its hashes", function () {
    const after = base.map(([k, h]) => [k, k[0] === 7n ? 9_111_111_111_111_111_111n : h] as [bigint[], bigint]);
    expect(decodeCell(cell(base), cell(after), 1)).to.deep.equal({ kind: "changed", parts: [7n] });
  });

  it("names a missing row, and copies of an unexpected one", function () {
    expect(decodeCell(cell(base), cell(base.slice(1)), 1)).to.deep.equal({
      kind: "copies",
      count: -1,
      parts: [1n],
      hash: base[0]![1],
    });
    const extra: [bigint[], bigint] = [[99n], 42n];
    expect(decodeCell(cell(base), cell([...base, extra, extra]), 1)).to.deep.equal({
      kind: "copies",
      count: 2,
      parts: [99n],
      hash: 42n,
    });
    expect(decodeCell(undefined, cell([extra]), 1)).to.deep.equal({
      kind: "copies",
      count: 1,
      parts: [99n],
      hash: 42n,
    });
  });

  it("says 'unknown' rather than a wrong key when several rows differ", function () {
    const after = base.map(([k, h]) => [k, h + 1n] as [bigint[], bigint]);
    expect(decodeCell(cell(base), cell(after), 1).kind).to.equal("unknown");
    expect(decodeCell(cell(base), cell(base.slice(2)), 1).kind).to.equal("unknown");
    expect(decodeCell(cell(base), cell(base), 1)).to.deep.equal({ kind: "equal" });
  });

  it("prints integer and uuid parts as PostgreSQL prints the key", function () {
    expect(keyTextOfParts(["int4"], [-5n])).to.equal("-5");
    expect(keyTextOfParts(["int4", "int8"], [3n, 4n])).to.equal("(3,4)");
    expect(
      keyTextOfParts(["uuid"], [BigInt.asIntN(64, 0xa0eebc999c0b4ef8n), BigInt.asIntN(64, 0xbb6d6bb9bd380a11n)]),
    ).to.equal("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  });
});
