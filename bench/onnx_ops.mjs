// The op_type of every node of a serialized ONNX model (ModelProto.graph = 7, GraphProto.node = 1,
// NodeProto.op_type = 4), read straight from the protobuf wire format: what ORT's optimizer left in a graph it
// wrote with optimizedModelFilePath (whether it fused QDQ pairs into integer kernels). For the bench scripts.
function fields(b) {
  const out = [];
  let p = 0;
  const varint = () => { let r = 0, m = 1, c; do { c = b[p++]; r += (c & 0x7f) * m; m *= 128; } while (c & 0x80); return r; };
  while (p < b.length) {
    const key = varint(), f = Math.floor(key / 8), wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 2) { const n = varint(); out.push([f, b.subarray(p, p + n)]); p += n; }
    else if (wire === 5) p += 4;
    else if (wire === 1) p += 8;
    else throw new Error(`wire type ${wire}`);
  }
  return out;
}
export const opTypes = (model) => fields(fields(model).find(([f]) => f === 7)[1]).filter(([f]) => f === 1)
  .map(([, node]) => new TextDecoder().decode(fields(node).find(([f]) => f === 4)[1]));

/** "Op n, Op n, ..." of a model's nodes, most frequent first. */
export function opCounts(model) {
  const counts = {};
  for (const op of opTypes(model)) counts[op] = (counts[op] ?? 0) + 1;
  return Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`).join(', ');
}
