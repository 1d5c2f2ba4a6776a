using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace MeshVolume.Services.Archive
{
    /// <summary>
    /// Passes reads or writes through to another stream while computing the SHA-256 and the
    /// count of the bytes that pass: on the archive file as it is stored, so its checksum
    /// needs no second pass.
    /// </summary>
    /// <remarks>
    /// Use one direction per instance. A reader should read the stream to its end before
    /// calling <see cref="GetSha256Hex"/>; <see cref="TarArchiveReader"/> does that after the
    /// end-of-archive blocks.
    /// </remarks>
    public sealed class HashingStream : Stream
    {
        private readonly Stream _inner;
        private readonly bool _leaveOpen;
        private readonly IncrementalHash _hash =
            IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _byteCount;
        private string _sha256;

        public HashingStream(Stream inner, bool leaveOpen = false)
        {
            _inner = inner ?? throw new ArgumentNullException(nameof(inner));
            _leaveOpen = leaveOpen;
        }

        /// <summary>Bytes read or written through this stream so far.</summary>
        public long ByteCount => Interlocked.Read(ref _byteCount);

        public override bool CanRead => _inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => _inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => ByteCount;
            set => throw new NotSupportedException();
        }

        /// <summary>
        /// Completes the hash and returns it as lowercase hex; no more bytes may pass after
        /// the first call, and later calls return the same value.
        /// </summary>
        public string GetSha256Hex()
        {
            if (_sha256 == null)
            {
                byte[] hash = _hash.GetHashAndReset();
                var text = new StringBuilder(hash.Length * 2);
                foreach (byte b in hash)
                {
                    text.Append(b.ToString("x2"));
                }

                _sha256 = text.ToString();
            }

            return _sha256;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            ThrowIfHashed();
            int read = _inner.Read(buffer, offset, count);
            Append(buffer, offset, read);
            return read;
        }

        public override async Task<int> ReadAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            ThrowIfHashed();
            int read = await _inner.ReadAsync(buffer, offset, count, cancellationToken)
                .ConfigureAwait(false);
            Append(buffer, offset, read);
            return read;
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            ThrowIfHashed();
            _inner.Write(buffer, offset, count);
            Append(buffer, offset, count);
        }

        public override async Task WriteAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            ThrowIfHashed();
            await _inner.WriteAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
            Append(buffer, offset, count);
        }

        public override void Flush()
        {
            _inner.Flush();
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            return _inner.FlushAsync(cancellationToken);
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            throw new NotSupportedException();
        }

        public override void SetLength(long value)
        {
            throw new NotSupportedException();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
                if (!_leaveOpen)
                {
                    _inner.Dispose();
                }
            }

            base.Dispose(disposing);
        }

        private void Append(byte[] buffer, int offset, int count)
        {
            if (count > 0)
            {
                _hash.AppendData(buffer, offset, count);
                Interlocked.Add(ref _byteCount, count);
            }
        }

        private void ThrowIfHashed()
        {
            if (_sha256 != null)
            {
                throw new InvalidOperationException(
                    "The hash is already complete, so no more bytes may pass.");
            }
        }
    }
}
