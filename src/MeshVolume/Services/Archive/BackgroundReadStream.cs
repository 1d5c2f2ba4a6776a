using System;
using System.Collections.Concurrent;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace MeshVolume.Services.Archive
{
    /// <summary>
    /// Reads another stream ahead on a dedicated thread, so that its work (decompression) and
    /// the caller's work (writing files) run on two cores at once. At most a fixed number of
    /// chunks wait between the two threads.
    /// </summary>
    /// <remarks>
    /// A failure of the inner stream is raised by the Read that reaches it. Disposing stops
    /// the reader thread and disposes the inner stream unless leaveOpen was set.
    /// </remarks>
    public sealed class BackgroundReadStream : Stream
    {
        private const int ChunkSize = 1 << 20;
        private const int QueuedChunks = 4;

        private readonly Stream _inner;
        private readonly bool _leaveOpen;
        private readonly BlockingCollection<ArraySegment<byte>> _chunks =
            new BlockingCollection<ArraySegment<byte>>(QueuedChunks);
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly Task _reader;
        private ArraySegment<byte> _current;
        private int _currentOffset;
        private ExceptionDispatchInfo _failure;
        private bool _ended;
        private bool _disposed;

        public BackgroundReadStream(Stream inner, bool leaveOpen = false)
        {
            _inner = inner ?? throw new ArgumentNullException(nameof(inner));
            _leaveOpen = leaveOpen;
            _reader = Task.Factory.StartNew(
                ReadAhead, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        public override bool CanRead => !_disposed;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_disposed)
            {
                throw new ObjectDisposedException(nameof(BackgroundReadStream));
            }

            while (_current.Array == null || _currentOffset == _current.Count)
            {
                if (_ended)
                {
                    return 0;
                }

                if (!_chunks.TryTake(out _current, Timeout.Infinite))
                {
                    // The reader completed adding: the inner stream ended or failed.
                    _ended = true;
                    _failure?.Throw();
                    return 0;
                }

                _currentOffset = 0;
            }

            int copied = Math.Min(count, _current.Count - _currentOffset);
            Buffer.BlockCopy(_current.Array, _current.Offset + _currentOffset, buffer, offset, copied);
            _currentOffset += copied;
            return copied;
        }

        public override Task<int> ReadAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(Read(buffer, offset, count));
        }

        private void ReadAhead()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var chunk = new byte[ChunkSize];
                    int filled = 0;
                    int read;
                    while (filled < ChunkSize &&
                        (read = _inner.Read(chunk, filled, ChunkSize - filled)) > 0)
                    {
                        filled += read;
                    }

                    if (filled > 0)
                    {
                        _chunks.Add(new ArraySegment<byte>(chunk, 0, filled), _stop.Token);
                    }

                    if (filled < ChunkSize)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // The stream was disposed while reading ahead, so the rest is not needed.
            }
            catch (Exception ex)
            {
                _failure = ExceptionDispatchInfo.Capture(ex);
            }
            finally
            {
                _chunks.CompleteAdding();
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) =>
            throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                _stop.Cancel();
                try
                {
                    _reader.Wait();
                }
                catch (AggregateException)
                {
                    // ReadAhead records its failures; nothing is left to report here.
                }

                if (!_leaveOpen)
                {
                    _inner.Dispose();
                }

                _stop.Dispose();
                _chunks.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
