/**
 * A small reviewed protobuf codec over `@bufbuild/protobuf/wire` (no codegen, no eval).
 * Only three wire types occur in libsignal's messages: varint, fixed64 and length-delimited.
 * Typed message codecs build on {@link readFields} / {@link ProtoWriter}; protobuf types never
 * leave `src/proto/`.
 * @module
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { ProtocolError } from '../errors.js';

/** One decoded field value: varints and fixed64 as bigint, length-delimited as bytes. */
export type FieldValue = bigint | Uint8Array;

/** Decoded message: field number -> values in wire order (repeated fields keep all values). */
export class ProtoFields {
  private readonly map = new Map<number, FieldValue[]>();

  /** @internal */
  add(field: number, v: FieldValue): void {
    const list = this.map.get(field);
    if (list) list.push(v);
    else this.map.set(field, [v]);
  }

  /** True if the field occurred at least once. */
  has(field: number): boolean {
    return this.map.has(field);
  }

  /** Last occurrence of a bytes field (protobuf "last one wins"), or undefined. */
  bytes(field: number): Uint8Array | undefined {
    const list = this.map.get(field);
    if (!list) return undefined;
    const v = list[list.length - 1];
    if (!(v instanceof Uint8Array))
      throw new ProtocolError('InvalidProtobufEncoding', `field ${field}: expected bytes`);
    return v;
  }

  /** All occurrences of a repeated bytes field. */
  repeatedBytes(field: number): Uint8Array[] {
    return (this.map.get(field) ?? []).map((v) => {
      if (!(v instanceof Uint8Array))
        throw new ProtocolError('InvalidProtobufEncoding', `field ${field}: expected bytes`);
      return v;
    });
  }

  /** Last occurrence of a uint32 varint field, or undefined. @throws ProtocolError if > 2^32-1 */
  uint32(field: number): number | undefined {
    const v = this.u64(field);
    if (v === undefined) return undefined;
    if (v > 0xffffffffn) throw new ProtocolError('InvalidProtobufEncoding', `field ${field}: uint32 out of range`);
    return Number(v);
  }

  /** Last occurrence of a uint64 / fixed64 field, or undefined. */
  u64(field: number): bigint | undefined {
    const list = this.map.get(field);
    if (!list) return undefined;
    const v = list[list.length - 1];
    if (typeof v !== 'bigint') throw new ProtocolError('InvalidProtobufEncoding', `field ${field}: expected integer`);
    return v;
  }
}

/**
 * Decodes a protobuf message into its fields.
 * @throws ProtocolError `InvalidProtobufEncoding` on malformed input or unsupported wire types
 */
export function readFields(data: Uint8Array): ProtoFields {
  const out = new ProtoFields();
  try {
    const r = new BinaryReader(data);
    while (r.pos < r.len) {
      const [field, wt] = r.tag();
      if (field <= 0) throw new Error('bad field');
      switch (wt) {
        case WireType.Varint:
          out.add(field, BigInt.asUintN(64, BigInt(r.uint64())));
          break;
        case WireType.Bit64:
          out.add(field, BigInt(r.fixed64()));
          break;
        case WireType.LengthDelimited:
          out.add(field, Uint8Array.from(r.bytes()));
          break;
        case WireType.Bit32:
          out.add(field, BigInt(r.fixed32()));
          break;
        default:
          throw new Error('unsupported wire type');
      }
    }
    if (r.pos !== r.len) throw new Error('truncated');
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError('InvalidProtobufEncoding', 'malformed protobuf');
  }
  return out;
}

/** Writes fields in the order called; callers emit them in tag order as libsignal does. */
export class ProtoWriter {
  private readonly w = new BinaryWriter();

  /** Writes a varint field (uint32 or uint64). */
  uint(field: number, v: number | bigint): this {
    this.w.tag(field, WireType.Varint).uint64(v);
    return this;
  }

  /** Writes a fixed64 field. */
  fixed64(field: number, v: number | bigint): this {
    this.w.tag(field, WireType.Bit64).fixed64(v);
    return this;
  }

  /** Writes a length-delimited bytes field. */
  bytes(field: number, v: Uint8Array): this {
    this.w.tag(field, WireType.LengthDelimited).bytes(v);
    return this;
  }

  /** The encoded message. */
  finish(): Uint8Array {
    return this.w.finish();
  }
}

/** Helper for required fields: throws `InvalidProtobufEncoding` naming the field. */
export function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new ProtocolError('InvalidProtobufEncoding', `missing required field ${what}`);
  return v;
}
