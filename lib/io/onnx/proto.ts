// A minimal protocol-buffers wire-format encoder for the ONNX messages the exporter writes (ModelProto and
// what it contains). Hand-written rather than a dependency: ONNX needs only varints, length-delimited fields
// and packed repeated numbers, and a generic protobuf runtime would be most of the package's install size.
// Field numbers are those of onnx/onnx.proto (IR version 8); only the fields the exporter uses are here.
import { TensorfieldError } from '../../tensor';

/** Wire types of the protobuf encoding. */
const VARINT = 0, LEN = 2, I32 = 5;

/** Appends fields to a growing buffer; a nested message is encoded on its own Writer, then added with `message`. */
export class Writer {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(256);
  private pos = 0;
  private total = 0;

  private reserve(n: number): void {
    if (this.pos + n <= this.cur.length) return;
    this.flush();
    this.cur = new Uint8Array(Math.max(256, n));
  }
  private flush(): void {
    if (this.pos) this.chunks.push(this.cur.subarray(0, this.pos));
    this.cur = new Uint8Array(256);
    this.pos = 0;
  }
  private rawVarint(v: bigint): void {
    // int64 fields: negative values are written as their 64-bit two's complement (10 bytes), as protobuf does
    let u = v < 0n ? v + (1n << 64n) : v;
    this.reserve(10);
    do {
      let b = Number(u & 0x7fn);
      u >>= 7n;
      if (u) b |= 0x80;
      this.cur[this.pos++] = b;
      this.total++;
    } while (u);
  }
  private tag(field: number, wire: number): void { this.rawVarint(BigInt((field << 3) | wire)); }
  private raw(bytes: Uint8Array): void {
    this.flush();
    this.chunks.push(bytes);
    this.total += bytes.length;
  }

  /** int32 / int64 / enum field. */
  int(field: number, v: number | bigint): this {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `protobuf: ${v} is not an integer`);
    this.tag(field, VARINT);
    this.rawVarint(BigInt(v));
    return this;
  }
  /** float (fixed 32-bit, little-endian) field. */
  float(field: number, v: number): this {
    this.tag(field, I32);
    this.reserve(4);
    new DataView(this.cur.buffer, this.cur.byteOffset + this.pos, 4).setFloat32(0, v, true);
    this.pos += 4;
    this.total += 4;
    return this;
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, LEN);
    this.rawVarint(BigInt(b.length));
    this.raw(b);
    return this;
  }
  string(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }
  /** A nested message, encoded by `fill` on a fresh Writer. */
  message(field: number, fill: (w: Writer) => void): this {
    const w = new Writer();
    fill(w);
    return this.bytes(field, w.finish());
  }
  /** repeated int64, packed (one length-delimited field of varints). */
  packedInts(field: number, vs: readonly (number | bigint)[]): this {
    const w = new Writer();
    for (const v of vs) w.rawVarint(BigInt(v));
    return this.bytes(field, w.finish());
  }
  /** repeated float, packed. */
  packedFloats(field: number, vs: readonly number[]): this {
    const b = new Uint8Array(vs.length * 4), dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    return this.bytes(field, b);
  }
  get length(): number { return this.total; }
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.total);
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    return out;
  }
}

/** TensorProto.DataType values. */
export const ONNX_DTYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 } as const;
export type OnnxDType = keyof typeof ONNX_DTYPE;

/** A constant tensor (an initializer or a Constant's value), its data little-endian in raw_data. */
export interface TensorData { name: string; dtype: OnnxDType; dims: number[]; raw: Uint8Array }

/** Attribute values the exporter writes (AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7). */
export type AttrValue = { f: number } | { i: number } | { s: string } | { t: TensorData } | { floats: number[] } | { ints: number[] };

export interface NodeData { op: string; inputs: string[]; outputs: string[]; name?: string; domain?: string; attrs?: Record<string, AttrValue> }
/** A graph input or output: dims are numbers, or strings for symbolic dims (dim_param, e.g. the batch). */
export interface ValueInfoData { name: string; dtype: OnnxDType; dims: (number | string)[] }
export interface GraphData { name: string; nodes: NodeData[]; initializers: TensorData[]; inputs: ValueInfoData[]; outputs: ValueInfoData[] }
export interface ModelData {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: GraphData;
  metadata?: Record<string, string>;
}

function writeTensor(w: Writer, t: TensorData): void {
  // TensorProto: dims 1 (packed int64), data_type 2, name 8, raw_data 9
  if (t.dims.length) w.packedInts(1, t.dims);
  w.int(2, ONNX_DTYPE[t.dtype]);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

function writeAttr(w: Writer, name: string, a: AttrValue): void {
  // AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20
  w.string(1, name);
  if ('f' in a) w.float(2, a.f).int(20, 1);
  else if ('i' in a) w.int(3, a.i).int(20, 2);
  else if ('s' in a) w.string(4, a.s).int(20, 3);
  else if ('t' in a) w.message(5, (m) => writeTensor(m, a.t)).int(20, 4);
  else if ('floats' in a) w.packedFloats(7, a.floats).int(20, 6);
  else w.packedInts(8, a.ints).int(20, 7);
}

function writeNode(w: Writer, n: NodeData): void {
  // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(5, (m) => writeAttr(m, k, v));
  if (n.domain) w.string(7, n.domain);
}

function writeValueInfo(w: Writer, v: ValueInfoData): void {
  // ValueInfoProto: name 1, type 2; TypeProto.tensor_type 1; Tensor: elem_type 1, shape 2;
  // TensorShapeProto.dim 1; Dimension: dim_value 1, dim_param 2
  w.string(1, v.name);
  w.message(2, (type) => type.message(1, (tt) => {
    tt.int(1, ONNX_DTYPE[v.dtype]);
    tt.message(2, (shape) => {
      for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
    });
  }));
}

function writeGraph(w: Writer, g: GraphData): void {
  // GraphProto: node 1, name 2, initializer 5, input 11, output 12
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t));
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v));
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v));
}

/** The serialized ModelProto. */
export function encodeModel(m: ModelData): Uint8Array {
  // ModelProto: ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7, opset_import 8,
  // metadata_props 14; OperatorSetIdProto: domain 1, version 2; StringStringEntryProto: key 1, value 2
  const w = new Writer();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, (g) => writeGraph(g, m.graph));
  for (const o of m.opsets) w.message(8, (s) => { if (o.domain) s.string(1, o.domain); s.int(2, o.version); });
  for (const [k, v] of Object.entries(m.metadata ?? {})) w.message(14, (e) => e.string(1, k).string(2, v));
  // protobuf parsers (onnxruntime's included) refuse messages of 2 GiB or more; larger weights would need ONNX's
  // external-data files, which this writer does not produce
  if (w.length >= 2 ** 31)
    throw new TensorfieldError('TF_UNSUPPORTED', `exportOnnx: the model is ${(w.length / 2 ** 30).toFixed(2)} GiB, over protobuf's 2 GiB limit (external data files are not written)`);
  return w.finish();
}
