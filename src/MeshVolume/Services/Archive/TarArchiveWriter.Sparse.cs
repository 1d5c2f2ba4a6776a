using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace MeshVolume.Services.Archive
{
    // Sparse files in the GNU pax sparse format 1.0: the map that starts the entry data, and
    // the data segments after it.
    public sealed partial class TarArchiveWriter
    {
        /// <summary>
        /// Checks that segments are in order, do not overlap and lie within the file, and drops
        /// empty ones.
        /// </summary>
        private static List<SparseSegment> NormalizeSparseMap(ArchiveEntry entry)
        {
            var segments = new List<SparseSegment>(entry.SparseMap.Count);
            long previousEnd = 0;
            foreach (SparseSegment segment in entry.SparseMap)
            {
                if (segment.Offset < previousEnd || segment.Length < 0 ||
                    segment.Length > entry.Size - segment.Offset)
                {
                    throw new ArgumentException(
                        $"Sparse map of '{entry.Path}' is invalid at segment ({segment.Offset}, " +
                        $"{segment.Length}): segments must be in order, must not overlap and " +
                        $"must end within the file size {entry.Size}.", nameof(entry));
                }

                if (segment.Length > 0)
                {
                    segments.Add(segment);
                    previousEnd = segment.Offset + segment.Length;
                }
            }

            return segments;
        }

        /// <summary>
        /// Lengthens every segment but the last to whole blocks, merging segments that then
        /// touch. GNU tar 1.34 starts reading each segment's data at a block boundary, while Go
        /// and this module's reader read the segments back to back. With whole-block segments
        /// both readings agree. The added bytes come from holes, so they are zeros.
        /// </summary>
        private static List<SparseSegment> AlignSparseMap(List<SparseSegment> segments)
        {
            var stored = new List<SparseSegment>(segments.Count);
            int next = 0;
            while (next < segments.Count)
            {
                long start = segments[next].Offset;
                long end = start + segments[next].Length;
                next++;
                while (next < segments.Count)
                {
                    long alignedEnd = start + TarFormat.PaddedLength(end - start);
                    if (alignedEnd < segments[next].Offset)
                    {
                        end = alignedEnd;
                        break;
                    }

                    end = segments[next].Offset + segments[next].Length;
                    next++;
                }

                stored.Add(new SparseSegment(start, end - start));
            }

            return stored;
        }

        /// <summary>
        /// Encodes the sparse 1.0 map that starts the entry data: the number of segments, then
        /// each offset and length, all decimal and newline-terminated, padded to whole blocks.
        /// </summary>
        private static byte[] EncodeSparseMap(List<SparseSegment> segments, long size)
        {
            // GNU tar truncates the extracted file at a final empty segment, which is how a
            // trailing hole gets its length, so add one when the data ends before the size.
            long dataEnd = segments.Count == 0 ? 0 : segments[segments.Count - 1].Offset +
                segments[segments.Count - 1].Length;
            bool addEnd = segments.Count == 0 || dataEnd < size;

            var text = new StringBuilder();
            text.Append(segments.Count + (addEnd ? 1 : 0)).Append('\n');
            foreach (SparseSegment segment in segments)
            {
                text.Append(segment.Offset).Append('\n').Append(segment.Length).Append('\n');
            }

            if (addEnd)
            {
                text.Append(size).Append('\n').Append('0').Append('\n');
            }

            byte[] encoded = Encoding.ASCII.GetBytes(text.ToString());
            var block = new byte[TarFormat.PaddedLength(encoded.Length)];
            Buffer.BlockCopy(encoded, 0, block, 0, encoded.Length);
            return block;
        }

        private static long SumLengths(List<SparseSegment> segments)
        {
            long sum = 0;
            foreach (SparseSegment segment in segments)
            {
                sum += segment.Length;
            }

            return sum;
        }

        /// <summary>
        /// Writes the stored segments: content bytes where the entry has data, zeros where a
        /// stored segment was lengthened over a hole. Hashes the holes between stored segments
        /// as zeros, so the hash covers the logical content.
        /// </summary>
        private async Task CopySparseContentAsync(
            ArchiveEntry entry, List<SparseSegment> dataSegments, List<SparseSegment> storedSegments,
            Stream content, IncrementalHash hash, CancellationToken cancellationToken)
        {
            long logicalPosition = 0;
            long copied = 0;
            long expectedTotal = SumLengths(dataSegments);
            int dataIndex = 0;
            foreach (SparseSegment stored in storedSegments)
            {
                HashZeros(hash, stored.Offset - logicalPosition);
                logicalPosition = stored.Offset;
                long storedEnd = stored.Offset + stored.Length;
                while (logicalPosition < storedEnd)
                {
                    SparseSegment data = dataSegments[dataIndex];
                    if (logicalPosition < data.Offset)
                    {
                        long fill = Math.Min(data.Offset, storedEnd) - logicalPosition;
                        await WriteZerosAsync(fill, hash, cancellationToken).ConfigureAwait(false);
                        logicalPosition += fill;
                        continue;
                    }

                    long length = Math.Min(data.Offset + data.Length, storedEnd) - logicalPosition;
                    await CopyContentAsync(
                        entry, content, length, copied, expectedTotal, hash, cancellationToken)
                        .ConfigureAwait(false);
                    copied += length;
                    logicalPosition += length;
                    if (logicalPosition == data.Offset + data.Length)
                    {
                        dataIndex++;
                    }
                }
            }

            HashZeros(hash, entry.Size - logicalPosition);
        }

        private async Task WriteZerosAsync(
            long count, IncrementalHash hash, CancellationToken cancellationToken)
        {
            while (count > 0)
            {
                int chunk = (int)Math.Min(Zeros.Length, count);
                hash.AppendData(Zeros, 0, chunk);
                await WriteAsync(Zeros, 0, chunk, cancellationToken).ConfigureAwait(false);
                count -= chunk;
            }
        }

        private static void HashZeros(IncrementalHash hash, long count)
        {
            while (count > 0)
            {
                int chunk = (int)Math.Min(Zeros.Length, count);
                hash.AppendData(Zeros, 0, chunk);
                count -= chunk;
            }
        }
    }
}
