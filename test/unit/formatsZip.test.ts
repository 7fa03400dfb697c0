/**
 * src/formats/zip.ts against archives this test builds byte by byte (stored,
 * deflate, zip64) and against damaged ones: CRC mismatch, sizes that
 * disagree with the file, truncation, impossible compression ratios.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ZipArchive, looksLikeZip } from '../../src/formats/zip';
import { rejectsNaming } from './formatAssertions';

interface Member {
  name: string;
  data: Buffer;
  deflate?: boolean;
  /** Overrides of what the headers declare, to build damaged archives. */
  declaredSize?: number;
  declaredCompressedSize?: number;
  crc?: number;
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A zip archive; with `zip64`, sizes and offsets live only in zip64 fields. */
function buildZip(members: Member[], { zip64 = false } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const stored = member.deflate ? zlib.deflateRawSync(member.data) : member.data;
    const name = Buffer.from(member.name, 'utf8');
    const crc = member.crc ?? crc32(member.data);
    const size = member.declaredSize ?? member.data.length;
    const compressed = member.declaredCompressedSize ?? stored.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(zip64 ? 45 : 20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(member.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(zip64 ? 0xffffffff : compressed, 18);
    local.writeUInt32LE(zip64 ? 0xffffffff : size, 22);
    local.writeUInt16LE(name.length, 26);
    const extra = Buffer.alloc(zip64 ? 28 : 0);
    if (zip64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(size), 4);
      extra.writeBigUInt64LE(BigInt(compressed), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    local.writeUInt16LE(zip64 ? 20 : 0, 28);
    const localExtra = zip64 ? Buffer.from(extra.subarray(0, 20)) : Buffer.alloc(0);
    if (zip64) localExtra.writeUInt16LE(16, 2);
    locals.push(local, name, localExtra, stored);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(zip64 ? 45 : 20, 4);
    central.writeUInt16LE(zip64 ? 45 : 20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(member.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(zip64 ? 0xffffffff : compressed, 20);
    central.writeUInt32LE(zip64 ? 0xffffffff : size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    centrals.push(central, name, extra);
    offset += local.length + name.length + localExtra.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const parts = [...locals, directory];
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  if (zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(members.length), 24);
    record.writeBigUInt64LE(BigInt(members.length), 32);
    record.writeBigUInt64LE(BigInt(directory.length), 40);
    record.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(record, locator);
    end.writeUInt16LE(0xffff, 8);
    end.writeUInt16LE(0xffff, 10);
    end.writeUInt32LE(0xffffffff, 12);
    end.writeUInt32LE(0xffffffff, 16);
  } else {
    end.writeUInt16LE(members.length, 8);
    end.writeUInt16LE(members.length, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(offset, 16);
  }
  parts.push(end);
  return Buffer.concat(parts);
}

describe('formats/zip', () => {
  let folder: string;
  const text = Buffer.from('{"hello": "zip"}\n'.repeat(50));
  const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 97) % 256));

  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'dlkit-zip-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  function write(name: string, bytes: Buffer): string {
    const file = path.join(folder, name);
    writeFileSync(file, bytes);
    return file;
  }

  it('lists entries and reads stored and deflated members, checked against size and CRC', async () => {
    const file = write('plain.zip', buildZip([
      { name: 'config.json', data: text, deflate: true },
      { name: 'dir/weights.bin', data: binary },
      { name: 'ünïcode.txt', data: Buffer.from('ok') },
    ]));
    assert.ok(looksLikeZip(readFileSync(file).subarray(0, 4)));
    const zip = await ZipArchive.open(file);
    try {
      assert.deepEqual(zip.entries.map((entry) => [entry.name, entry.method, entry.uncompressedSize]), [
        ['config.json', 8, text.length],
        ['dir/weights.bin', 0, binary.length],
        ['ünïcode.txt', 0, 2],
      ]);
      const config = zip.entry('config.json');
      assert.ok(config && config.compressedSize < text.length);
      assert.deepEqual(await zip.read(config), text);
      assert.deepEqual(await zip.read(zip.entry('dir/weights.bin')!), binary);
      const target = path.join(folder, 'extracted.json');
      await zip.extract(config, target);
      assert.deepEqual(readFileSync(target), text);
      await assert.rejects(zip.read(config, 10), /more than the 10 bytes allowed/);
    } finally {
      await zip.close();
    }
  });

  it('reads zip64 archives (sizes and offsets only in the zip64 fields)', async () => {
    const file = write('big.zip', buildZip([{ name: 'a.bin', data: binary }, { name: 'b.json', data: text, deflate: true }], { zip64: true }));
    const zip = await ZipArchive.open(file);
    try {
      assert.deepEqual(zip.entries.map((entry) => entry.name), ['a.bin', 'b.json']);
      assert.equal(zip.entry('a.bin')?.uncompressedSize, binary.length);
      assert.deepEqual(await zip.read(zip.entry('b.json')!), text);
      assert.deepEqual(await zip.read(zip.entry('a.bin')!), binary);
    } finally {
      await zip.close();
    }
  });

  it('detects a corrupt member by its CRC, both when reading and when extracting', async () => {
    const bytes = buildZip([{ name: 'weights.bin', data: binary }]);
    const at = 30 + 'weights.bin'.length + 100;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    const file = write('crc.zip', bytes);
    const zip = await ZipArchive.open(file);
    try {
      await rejectsNaming(zip.read(zip.entry('weights.bin')!), file, /member weights\.bin is corrupt \(CRC mismatch\)/);
      await rejectsNaming(zip.extract(zip.entry('weights.bin')!, path.join(folder, 'crc.out')), file, /CRC mismatch/);
    } finally {
      await zip.close();
    }
  });

  it('refuses deflated data that inflates past its declared size, or is not deflate at all', async () => {
    const file = write('liar.zip', buildZip([{ name: 'a.txt', data: text, deflate: true, declaredSize: 100 }]));
    const zip = await ZipArchive.open(file);
    try {
      await rejectsNaming(zip.read(zip.entry('a.txt')!), file, /member a\.txt is corrupt/);
      await rejectsNaming(zip.extract(zip.entry('a.txt')!, path.join(folder, 'liar.out')), file, /holds more than the 100 bytes/);
    } finally {
      await zip.close();
    }
    const garbage = write('garbage.zip', buildZip([{ name: 'a.txt', data: text, deflate: true, declaredCompressedSize: 10 }]));
    // The directory is consistent; the deflate stream it points at is cut off.
    const second = await ZipArchive.open(garbage);
    try {
      await rejectsNaming(second.read(second.entry('a.txt')!), garbage, /member a\.txt is corrupt/);
    } finally {
      await second.close();
    }
  });

  it('refuses entries whose declared sizes disagree with the file, before reading them', async () => {
    const stored = write('stored.zip', buildZip([{ name: 'x.bin', data: binary, declaredSize: binary.length + 1 }]));
    await rejectsNaming(ZipArchive.open(stored), stored, /stored member x\.bin declares 3000 bytes stored but 3001/);
    const past = write('past.zip', buildZip([{ name: 'x.bin', data: binary, declaredCompressedSize: 1_000_000, declaredSize: 1_000_000 }]));
    await rejectsNaming(ZipArchive.open(past), past, /member x\.bin .* lies outside the archive data/);
    const bomb = write('bomb.zip', buildZip([{ name: 'x.json', data: text, deflate: true, declaredSize: 4_000_000_000 }]));
    await rejectsNaming(ZipArchive.open(bomb), bomb, /beyond what deflate can do/);
  });

  it('says a truncated or non-zip file is not a readable zip', async () => {
    const whole = buildZip([{ name: 'x.bin', data: binary }]);
    const cut = write('cut.zip', whole.subarray(0, whole.length - 30));
    await rejectsNaming(ZipArchive.open(cut), cut, /not a zip archive, or truncated|outside/);
    const tiny = write('tiny.zip', Buffer.from('PK'));
    await rejectsNaming(ZipArchive.open(tiny), tiny, /not a zip archive/);
    assert.equal(looksLikeZip(Buffer.from('{"a":1}')), false);
  });
});
