using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace MeshVolume.Services.Archive
{
    // Sparse files in the GNU formats: pax 1.0 (map at the start of the data), pax 0.0 and
    // 0.1 (map in pax records) and old GNU (map in the header and extension blocks).
    public sealed partial class TarArchiveReader
    {
        /// <summary>
        /// Detects the sparse formats and sets the entry's map, logical size and real name,
        /// consuming the map blocks that precede the data in format 1.0 and old GNU.
        /// </summary>
        private async Task ReadSparseLayoutAsync(
            ArchiveEntry entry, PaxHeader pax, byte typeFlag, long headerOffset,
            CancellationToken cancellationToken)
        {
            string major = pax.GetString(PaxHeader.SparseMajor);
            string minor = pax.GetString(PaxHeader.SparseMinor);
            List<SparseSegment> segments;
            long realSize;
            if (typeFlag == TarFormat.TypeGnuSparse)
            {
                realSize = ParseHeaderNumber(
                    TarFormat.GnuRealSizeOffset, TarFormat.SizeLength, "sparse real size", headerOffset);
                segments = await ReadOldGnuSparseMapAsync(headerOffset, cancellationToken)
                    .ConfigureAwait(false);
            }
            else if (major == "1" && minor == "0")
            {
                realSize = ParseSparseNumber(pax.GetString(PaxHeader.SparseRealSize), headerOffset);
                segments = await ReadSparse10MapAsync(headerOffset, cancellationToken)
                    .ConfigureAwait(false);
            }
            else if (pax.GetBytes(PaxHeader.SparseMap) != null ||
                pax.GetBytes(PaxHeader.SparseOffset) != null)
            {
                realSize = ParseSparseNumber(pax.GetString(PaxHeader.SparseSize), headerOffset);
                segments = ReadSparse0xMap(pax, headerOffset);
            }
            else if (major != null)
            {
                throw Corrupt(headerOffset,
                    $"the GNU sparse format {major}.{minor} is not supported");
            }
            else
            {
                return;
            }

            string sparseName = pax.GetString(PaxHeader.SparseName);
            if (sparseName != null)
            {
                entry.Path = NormalizePath(sparseName);
                _entryPath = entry.Path;
            }

            ValidateSparseMap(segments, realSize, _dataRemaining, headerOffset);
            entry.SparseMap = segments.FindAll(segment => segment.Length > 0);
            entry.Size = realSize;
        }

        /// <summary>
        /// Parses the decimal map (count, then offset/length pairs) in the first data blocks.
        /// </summary>
        private async Task<List<SparseSegment>> ReadSparse10MapAsync(
            long headerOffset, CancellationToken cancellationToken)
        {
            var numbers = new List<long>();
            long expected = -1;
            long current = 0;
            int digits = 0;
            while (numbers.Count != expected)
            {
                if (_dataRemaining < TarFormat.BlockSize)
                {
                    throw Corrupt(headerOffset, "the sparse map runs past the entry data");
                }

                await ReadExactAsync(_block, TarFormat.BlockSize, "sparse map", cancellationToken)
                    .ConfigureAwait(false);
                _dataRemaining -= TarFormat.BlockSize;
                for (int i = 0; i < TarFormat.BlockSize && numbers.Count != expected; i++)
                {
                    byte b = _block[i];
                    if (b >= (byte)'0' && b <= (byte)'9' && digits < 18)
                    {
                        current = current * 10 + (b - '0');
                        digits++;
                    }
                    else if (b == (byte)'\n' && digits > 0)
                    {
                        numbers.Add(current);
                        if (numbers.Count == 1)
                        {
                            // Each pair takes at least four bytes ("0\n0\n").
                            if (current > (_dataRemaining + TarFormat.BlockSize) / 4)
                            {
                                throw Corrupt(headerOffset,
                                    $"the sparse map count {current} is too large");
                            }

                            expected = 1 + 2 * current;
                        }

                        current = 0;
                        digits = 0;
                    }
                    else
                    {
                        throw Corrupt(headerOffset, $"the sparse map has an invalid byte 0x{b:x2}");
                    }
                }
            }

            var segments = new List<SparseSegment>((numbers.Count - 1) / 2);
            for (int i = 1; i + 1 < numbers.Count; i += 2)
            {
                segments.Add(new SparseSegment(numbers[i], numbers[i + 1]));
            }

            return segments;
        }

        /// <summary>
        /// Reads the map of an old GNU 'S' entry: the header's entries, then extension blocks.
        /// </summary>
        private async Task<List<SparseSegment>> ReadOldGnuSparseMapAsync(
            long headerOffset, CancellationToken cancellationToken)
        {
            var segments = new List<SparseSegment>();
            AddOldGnuSegments(
                segments, TarFormat.GnuSparseOffset, TarFormat.GnuSparseEntriesInHeader, headerOffset);
            bool extended = _block[TarFormat.GnuIsExtendedOffset] != 0;
            while (extended)
            {
                await ReadExactAsync(
                    _block, TarFormat.BlockSize, "sparse header extension", cancellationToken)
                    .ConfigureAwait(false);
                AddOldGnuSegments(segments, 0, TarFormat.GnuSparseEntriesInExtension, headerOffset);
                extended = _block[TarFormat.GnuExtensionIsExtendedOffset] != 0;
            }

            return segments;
        }

        private void AddOldGnuSegments(
            List<SparseSegment> segments, int offset, int count, long headerOffset)
        {
            for (int i = 0; i < count; i++)
            {
                int entryOffset = offset + i * 2 * TarFormat.SizeLength;
                if (_block[entryOffset] == 0)
                {
                    return;
                }

                long start = ParseHeaderNumber(
                    entryOffset, TarFormat.SizeLength, "sparse offset", headerOffset);
                long length = ParseHeaderNumber(
                    entryOffset + TarFormat.SizeLength, TarFormat.SizeLength, "sparse length", headerOffset);
                segments.Add(new SparseSegment(start, length));
            }
        }

        /// <summary>
        /// Reads the map of GNU sparse 0.1 (one GNU.sparse.map record) or 0.0 (record pairs).
        /// </summary>
        private List<SparseSegment> ReadSparse0xMap(PaxHeader pax, long headerOffset)
        {
            var segments = new List<SparseSegment>();
            string map = pax.GetString(PaxHeader.SparseMap);
            if (map != null)
            {
                string[] parts = map.Length == 0 ? new string[0] : map.Split(',');
                if (parts.Length % 2 != 0)
                {
                    throw Corrupt(headerOffset,
                        "the GNU.sparse.map record has an odd number of values");
                }

                for (int i = 0; i < parts.Length; i += 2)
                {
                    segments.Add(new SparseSegment(
                        ParseSparseNumber(parts[i], headerOffset),
                        ParseSparseNumber(parts[i + 1], headerOffset)));
                }

                return segments;
            }

            long? pendingOffset = null;
            foreach (KeyValuePair<string, byte[]> record in pax.Records)
            {
                string value = TarFormat.LenientUtf8.GetString(record.Value);
                if (record.Key == PaxHeader.SparseOffset)
                {
                    pendingOffset = ParseSparseNumber(value, headerOffset);
                }
                else if (record.Key == PaxHeader.SparseNumBytes)
                {
                    if (pendingOffset == null)
                    {
                        throw Corrupt(headerOffset,
                            "a GNU.sparse.numbytes record has no offset before it");
                    }

                    long length = ParseSparseNumber(value, headerOffset);
                    segments.Add(new SparseSegment(pendingOffset.Value, length));
                    pendingOffset = null;
                }
            }

            return segments;
        }

        private long ParseSparseNumber(string text, long headerOffset)
        {
            if (!PaxHeader.TryParseDecimal(text, out long value))
            {
                throw Corrupt(headerOffset,
                    $"the sparse file value '{text}' is not a valid number");
            }

            return value;
        }

        private void ValidateSparseMap(
            List<SparseSegment> segments, long realSize, long dataLength, long headerOffset)
        {
            long previousEnd = 0;
            long sum = 0;
            foreach (SparseSegment segment in segments)
            {
                if (segment.Offset < previousEnd || segment.Length > realSize - segment.Offset)
                {
                    throw Corrupt(headerOffset,
                        $"the sparse map segment ({segment.Offset}, {segment.Length}) overlaps another " +
                        $"or lies beyond the file size {realSize}");
                }

                previousEnd = segment.Offset + segment.Length;
                sum += segment.Length;
            }

            if (sum != dataLength)
            {
                throw Corrupt(headerOffset,
                    $"the sparse map describes {sum} bytes of data but the entry contains " +
                    $"{dataLength}");
            }
        }
    }
}
