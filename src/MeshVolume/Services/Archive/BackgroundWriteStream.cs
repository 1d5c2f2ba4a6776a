using System;
using System.Collections.Concurrent;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace MeshVolume.Services.Archive
{
    /// <summary>
    /// Writes to another stream on a dedicated thread, so that the caller's work (reading files,
    /// hashing, tar framing) and the inner stream's work (compression) run on two cores at once.
    /// Memory is bounded: at most a fixed number of chunks wait between the two threads.
    /// </summary>
    /// <remarks>
    /// A failure of the inner stream is raised by the next Write, Flush or Dispose. Flush
    /// returns once everything written before it has reached the inner stream and the inner
    /// stream has been flushed. Dispose writes what is left, then disposes the inner stream
    /// (which ends a compression frame) unless leaveOpen was set.
    /// </remarks>
    public sealed class BackgroundWriteStream : Stream
    {
        public const int DefaultChunkSize = 1 << 20;
        public const int DefaultQueuedChunks = 4;

        private readonly Stream _inner;
        private readonly bool _leaveOpen;
        private readonly int _chunkSize;
        private readonly ConcurrentQueue<byte[]> _freeChunks = new ConcurrentQueue<byte[]>();
        private readonly SemaphoreSlim _freeCount;
        private readonly ConcurrentQueue<WorkItem> _work = new ConcurrentQueue<WorkItem>();
        private readonly SemaphoreSlim _workCount = new SemaphoreSlim(0);
        private readonly Task _worker;
        private byte[] _current;
        private int _currentCount;
        private long _bytesWritten;
        private volatile ExceptionDispatchInfo _failure;
        private bool _failureRaised;
        private bool _disposed;

        /// <param name="inner">
        /// Stream written on the background thread, such as a CompressionStream.
        /// </param>
        /// <param name="chunkSize">Bytes handed over at a time.</param>
        /// <param name="queuedChunks">
        /// Chunks that may wait for the background thread; more block the writer.
        /// </param>
        /// <param name="leaveOpen">True to keep the inner stream open after disposal.</param>
        public BackgroundWriteStream(
            Stream inner, int chunkSize = DefaultChunkSize, int queuedChunks = DefaultQueuedChunks,
            bool leaveOpen = false)
        {
            _inner = inner ?? throw new ArgumentNullException(nameof(inner));
            if (chunkSize <= 0 || queuedChunks <= 0)
            {
                throw new ArgumentOutOfRangeException(
                    chunkSize <= 0 ? nameof(chunkSize) : nameof(queuedChunks), "Must be positive.");
            }

            _chunkSize = chunkSize;
            _leaveOpen = leaveOpen;

            // One chunk more than may be queued: the one the caller is filling.
            for (int i = 0; i <= queuedChunks; i++)
            {
                _freeChunks.Enqueue(new byte[chunkSize]);
            }

            _freeCount = new SemaphoreSlim(queuedChunks + 1);
            _worker = Task.Factory.StartNew(
                RunWorker, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        /// <summary>Bytes accepted from the caller so far.</summary>
        public long BytesWritten => Interlocked.Read(ref _bytesWritten);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => !_disposed;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => BytesWritten;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
        }

        public override async Task WriteAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            ThrowIfUnusable();
            while (count > 0)
            {
                if (_current == null)
                {
                    await _freeCount.WaitAsync(cancellationToken).ConfigureAwait(false);
                    ThrowIfFailed();
                    _freeChunks.TryDequeue(out _current);
                    _currentCount = 0;
                }

                int copy = Math.Min(count, _chunkSize - _currentCount);
                Buffer.BlockCopy(buffer, offset, _current, _currentCount, copy);
                _currentCount += copy;
                offset += copy;
                count -= copy;
                Interlocked.Add(ref _bytesWritten, copy);
                if (_currentCount == _chunkSize)
                {
                    HandOverCurrentChunk();
                }
            }
        }

        public override void Flush()
        {
            FlushAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            ThrowIfUnusable();
            HandOverCurrentChunk();
            var flushed = new TaskCompletionSource<bool>(
                TaskCreationOptions.RunContinuationsAsynchronously);
            Enqueue(new WorkItem { Flushed = flushed });
            using (cancellationToken.Register(() => flushed.TrySetCanceled()))
            {
                await flushed.Task.ConfigureAwait(false);
            }

            ThrowIfFailed();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            throw new NotSupportedException();
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
            if (!disposing || _disposed)
            {
                base.Dispose(disposing);
                return;
            }

            _disposed = true;
            if (_failure == null)
            {
                HandOverCurrentChunk();
            }

            Enqueue(new WorkItem { IsEnd = true });
            _worker.GetAwaiter().GetResult();
            _freeCount.Dispose();
            _workCount.Dispose();
            base.Dispose(disposing);

            // The inner stream is disposed after a failure too, so its resources are released.
            // A failure that no call has raised yet is raised here, so it is not lost.
            if (!_leaveOpen)
            {
                _inner.Dispose();
            }

            if (_failure != null && !_failureRaised)
            {
                _failureRaised = true;
                _failure.Throw();
            }
        }

        private void HandOverCurrentChunk()
        {
            if (_current == null)
            {
                return;
            }

            if (_currentCount == 0)
            {
                _freeChunks.Enqueue(_current);
                _freeCount.Release();
            }
            else
            {
                Enqueue(new WorkItem { Chunk = _current, Count = _currentCount });
            }

            _current = null;
            _currentCount = 0;
        }

        private void Enqueue(WorkItem item)
        {
            _work.Enqueue(item);
            _workCount.Release();
        }

        /// <summary>
        /// Writes queued chunks to the inner stream until the end marker arrives.
        /// </summary>
        private void RunWorker()
        {
            while (true)
            {
                _workCount.Wait();
                _work.TryDequeue(out WorkItem item);
                if (item.IsEnd)
                {
                    return;
                }

                try
                {
                    if (_failure == null)
                    {
                        if (item.Chunk != null)
                        {
                            _inner.Write(item.Chunk, 0, item.Count);
                        }
                        else
                        {
                            _inner.Flush();
                        }
                    }
                }
                catch (Exception exception)
                {
                    // Later chunks are dropped but their buffers still go back to the free
                    // queue, so a writer waiting for a buffer wakes up and raises the failure.
                    _failure = ExceptionDispatchInfo.Capture(exception);
                }

                if (item.Chunk != null)
                {
                    _freeChunks.Enqueue(item.Chunk);
                    _freeCount.Release();
                }

                item.Flushed?.TrySetResult(true);
            }
        }

        private void ThrowIfUnusable()
        {
            if (_disposed)
            {
                throw new ObjectDisposedException(nameof(BackgroundWriteStream));
            }

            ThrowIfFailed();
        }

        private void ThrowIfFailed()
        {
            ExceptionDispatchInfo failure = _failure;
            if (failure != null)
            {
                _failureRaised = true;
                failure.Throw();
            }
        }

        private struct WorkItem
        {
            public byte[] Chunk;
            public int Count;
            public TaskCompletionSource<bool> Flushed;
            public bool IsEnd;
        }
    }
}
