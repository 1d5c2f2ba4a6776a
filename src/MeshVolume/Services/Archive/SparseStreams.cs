using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace MeshVolume.Services.Archive
{
    /// <summary>
    /// Reads only the data segments of a seekable sparse file, one after another, which is the
    /// content <see cref="TarArchiveWriter"/> expects for an entry with a sparse map. The
    /// holes are neither read nor returned.
    /// </summary>
    public sealed class SparseSegmentStream : ReadOnlyStream
    {
        private readonly Stream _file;
        private readonly IList<SparseSegment> _segments;
        private readonly bool _leaveOpen;
        private int _segmentIndex;
        private long _segmentRemaining;
        private long _position;

        /// <param name="file">The whole file; seeked to each segment in turn.</param>
        /// <param name="segments">
        /// Data segments in offset order, as in ArchiveEntry.SparseMap.
        /// </param>
        /// <param name="leaveOpen">False to dispose the file with this stream.</param>
        public SparseSegmentStream(
            Stream file, IList<SparseSegment> segments, bool leaveOpen = false)
        {
            _file = file ?? throw new ArgumentNullException(nameof(file));
            _segments = segments ?? throw new ArgumentNullException(nameof(segments));
            if (!file.CanSeek)
            {
                throw new ArgumentException("The file stream must be seekable.", nameof(file));
            }

            _leaveOpen = leaveOpen;
            _segmentIndex = -1;
            foreach (SparseSegment segment in segments)
            {
                Length += segment.Length;
            }
        }

        /// <summary>Sum of the segment lengths.</summary>
        public override long Length { get; }

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (!PrepareSegment())
            {
                return 0;
            }

            int read = _file.Read(buffer, offset, (int)Math.Min(count, _segmentRemaining));
            return Advance(read);
        }

        public override async Task<int> ReadAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            if (!PrepareSegment())
            {
                return 0;
            }

            int read = await _file.ReadAsync(
                buffer, offset, (int)Math.Min(count, _segmentRemaining), cancellationToken)
                .ConfigureAwait(false);
            return Advance(read);
        }

        /// <summary>
        /// Seeks to the next segment with data; returns false after the last one.
        /// </summary>
        private bool PrepareSegment()
        {
            while (_segmentRemaining == 0)
            {
                _segmentIndex++;
                if (_segmentIndex >= _segments.Count)
                {
                    return false;
                }

                SparseSegment segment = _segments[_segmentIndex];
                _segmentRemaining = segment.Length;
                if (segment.Length > 0)
                {
                    _file.Seek(segment.Offset, SeekOrigin.Begin);
                }
            }

            return true;
        }

        private int Advance(int read)
        {
            // A file that shrank ends early; the writer reports that with the entry's path.
            if (read <= 0)
            {
                _segmentIndex = _segments.Count;
                _segmentRemaining = 0;
                return 0;
            }

            _segmentRemaining -= read;
            _position += read;
            return read;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_leaveOpen)
            {
                _file.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// Reads the logical content of a sparse file from the packed segment data that
    /// <see cref="TarArchiveReader"/> returns for a sparse entry, with zeros in the holes:
    /// for hashing or for writing to a target that cannot keep holes.
    /// </summary>
    public sealed class SparseExpandingStream : ReadOnlyStream
    {
        private readonly Stream _packed;
        private readonly IList<SparseSegment> _segments;
        private readonly bool _leaveOpen;
        private int _segmentIndex;
        private long _position;

        /// <param name="packed">
        /// Segment data one after another, as TarArchiveReader.Content returns it.
        /// </param>
        /// <param name="segments">Data segments in offset order.</param>
        /// <param name="size">
        /// Logical file size; the content after the last segment is a hole.
        /// </param>
        /// <param name="leaveOpen">False to dispose the packed stream with this stream.</param>
        public SparseExpandingStream(
            Stream packed, IList<SparseSegment> segments, long size, bool leaveOpen = false)
        {
            _packed = packed ?? throw new ArgumentNullException(nameof(packed));
            _segments = segments ?? throw new ArgumentNullException(nameof(segments));
            _leaveOpen = leaveOpen;
            Length = size;
        }

        /// <summary>Logical size of the file.</summary>
        public override long Length { get; }

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int holeBytes = NextHoleBytes(buffer, offset, count, out int dataRequest);
            if (holeBytes > 0 || dataRequest == 0)
            {
                return holeBytes;
            }

            return AdvanceData(_packed.Read(buffer, offset, dataRequest));
        }

        public override async Task<int> ReadAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            int holeBytes = NextHoleBytes(buffer, offset, count, out int dataRequest);
            if (holeBytes > 0 || dataRequest == 0)
            {
                return holeBytes;
            }

            int read = await _packed.ReadAsync(buffer, offset, dataRequest, cancellationToken)
                .ConfigureAwait(false);
            return AdvanceData(read);
        }

        /// <summary>
        /// Fills the buffer with zeros up to the end of the hole at the position and returns
        /// their count. At a data segment it returns 0 and sets how many bytes to read next.
        /// </summary>
        private int NextHoleBytes(byte[] buffer, int offset, int count, out int dataRequest)
        {
            dataRequest = 0;
            while (_segmentIndex < _segments.Count &&
                _position >= _segments[_segmentIndex].Offset + _segments[_segmentIndex].Length)
            {
                _segmentIndex++;
            }

            long holeEnd = _segmentIndex < _segments.Count ? _segments[_segmentIndex].Offset : Length;
            if (_position < holeEnd)
            {
                int zeros = (int)Math.Min(count, holeEnd - _position);
                Array.Clear(buffer, offset, zeros);
                _position += zeros;
                return zeros;
            }

            if (_segmentIndex < _segments.Count)
            {
                SparseSegment segment = _segments[_segmentIndex];
                dataRequest = (int)Math.Min(count, segment.Offset + segment.Length - _position);
            }

            return 0;
        }

        private int AdvanceData(int read)
        {
            if (read <= 0)
            {
                throw new EndOfStreamException(
                    $"The sparse file data ended at logical offset {_position}, inside a " +
                    "data segment.");
            }

            _position += read;
            return read;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_leaveOpen)
            {
                _packed.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Base of the forward-only, read-only streams of this namespace.</summary>
    public abstract class ReadOnlyStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            throw new NotSupportedException();
        }

        public override void SetLength(long value)
        {
            throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            throw new NotSupportedException();
        }
    }
}
