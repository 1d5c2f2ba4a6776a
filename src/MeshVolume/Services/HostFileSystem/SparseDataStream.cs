using System;
using System.Collections.Generic;
using System.IO;
using MeshVolume.Services.Archive;

namespace MeshVolume.Services.HostFileSystem
{
    /// <summary>
    /// The data segments of a sparse file read one after another, without the holes: the
    /// form a tar archive stores and HostVolumeWriter takes for an entry with a SparseMap.
    /// Reads from a seekable stream of the whole file, such as HostFileContentStream.
    /// </summary>
    public sealed class SparseDataStream : Stream
    {
        private readonly Stream _file;
        private readonly IList<SparseSegment> _segments;
        private readonly long _length;
        private int _segmentIndex;
        private long _segmentDone;
        private long _position;

        public SparseDataStream(Stream file, IList<SparseSegment> segments)
        {
            _file = file ?? throw new ArgumentNullException(nameof(file));
            _segments = segments ?? throw new ArgumentNullException(nameof(segments));
            if (!file.CanSeek)
            {
                throw new ArgumentException("The file stream must be seekable.", nameof(file));
            }

            foreach (SparseSegment segment in segments)
            {
                _length += segment.Length;
            }
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        /// <summary>Sum of the segment lengths.</summary>
        public override long Length => _length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (_segmentIndex < _segments.Count)
            {
                SparseSegment segment = _segments[_segmentIndex];
                long remaining = segment.Length - _segmentDone;
                if (remaining <= 0)
                {
                    _segmentIndex++;
                    _segmentDone = 0;
                    continue;
                }

                _file.Position = segment.Offset + _segmentDone;
                int read = _file.Read(buffer, offset, (int)Math.Min(count, remaining));
                if (read == 0)
                {
                    throw new EndOfStreamException(
                        $"The file ended inside the data segment at offset {segment.Offset}.");
                }

                _segmentDone += read;
                _position += read;
                return read;
            }

            return 0;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) =>
            throw new NotSupportedException();
    }
}
