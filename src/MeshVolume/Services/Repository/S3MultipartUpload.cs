using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3.Model;

namespace MeshVolume.Services.Repository
{
    /// <summary>
    /// An upload to S3 that sends data while it is written, without knowing the size in
    /// advance. Written bytes fill one part buffer, and a full part is uploaded in the
    /// background while the next one fills. Content that fits in the first part is sent with
    /// a single PutObject on completion. Any failure, cancellation, or disposal without
    /// completion aborts the multipart upload, so no object appears.
    /// </summary>
    /// <remarks>
    /// Part buffers: the one filling plus the parts being uploaded, which are at most
    /// <see cref="MaxPartsUploadingSmall"/> parts of up to 32 MiB or one larger part. That is
    /// 48 MiB for the first 15.6 GiB of an object and 96 MiB up to 46.9 GiB, growing with the
    /// part size to 2 GiB for objects beyond 984 GiB.
    /// </remarks>
    public sealed class S3MultipartUpload : RepositoryUpload
    {
        /// <summary>S3 limit on the number of parts of one object.</summary>
        public const int MaxPartCount = 10000;

        /// <summary>S3 minimum size of every part except the last.</summary>
        public const long MinPartSize = 5L * 1024 * 1024;

        public const long FirstPartSize = 16L * 1024 * 1024;

        /// <summary>The part size doubles after each group of this many parts.</summary>
        public const int PartsPerSizeStep = 1000;

        /// <summary>
        /// Largest part size. With the doubling steps, 10,000 parts hold about 4.87 TiB,
        /// close to the S3 maximum object size of 5 TiB.
        /// </summary>
        public const long MaxPartSize = 1024L * 1024 * 1024;

        /// <summary>Parts uploaded at the same time while parts are at most 32 MiB.</summary>
        public const int MaxPartsUploadingSmall = 2;

        private const long LargePartSize = 32L * 1024 * 1024;
        private const int InitialBufferSize = 1024 * 1024;
        private static readonly TimeSpan AbortTimeout = TimeSpan.FromMinutes(2);

        private readonly S3Repository _repository;
        private readonly string _key;
        private readonly string _objectKey;
        private readonly CancellationToken _openToken;

        // Stops the part uploads that run in the background. It is cancelled on abort and
        // by the token given when the upload was opened.
        private readonly CancellationTokenSource _partsCancellation;
        private readonly List<Task<PartETag>> _partsUploading = new List<Task<PartETag>>();
        private readonly List<PartETag> _partsUploaded = new List<PartETag>();
        private readonly Stack<byte[]> _spareBuffers = new Stack<byte[]>();

        private byte[] _buffer;
        private int _filled;
        private int _nextPartNumber = 1;
        private string _uploadId;
        private long _bytesWritten;
        private UploadState _state = UploadState.Open;

        private enum UploadState
        {
            Open,
            Completed,
            Aborted,
        }

        internal S3MultipartUpload(
            S3Repository repository, string key, string objectKey,
            CancellationToken cancellationToken)
        {
            _repository = repository;
            _key = key;
            _objectKey = objectKey;
            _openToken = cancellationToken;
            _partsCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        }

        /// <summary>Upload id of the multipart upload, null until the first part is full.</summary>
        public string UploadId => _uploadId;

        /// <summary>Parts started so far, including those still uploading.</summary>
        public int PartCount => _nextPartNumber - 1;

        public override long BytesWritten => _bytesWritten;

        /// <summary>
        /// Returns the size of a part (numbered from 1): 16 MiB, doubling after every
        /// <see cref="PartsPerSizeStep"/> parts up to <see cref="MaxPartSize"/>.
        /// </summary>
        public static long GetPartSize(int partNumber)
        {
            if (partNumber < 1 || partNumber > MaxPartCount)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(partNumber), partNumber, $"Part numbers run from 1 to {MaxPartCount}.");
            }

            int step = Math.Min((partNumber - 1) / PartsPerSizeStep, 6);
            return Math.Min(FirstPartSize << step, MaxPartSize);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
        }

        public override async Task WriteAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            ThrowIfNotOpen();
            try
            {
                // Data only goes out when a part is full, so check for cancellation here too.
                _openToken.ThrowIfCancellationRequested();
                cancellationToken.ThrowIfCancellationRequested();
                while (count > 0)
                {
                    int partSize = (int)GetPartSize(_nextPartNumber);
                    EnsureBufferRoom(partSize);
                    int copied = Math.Min(count, _buffer.Length - _filled);
                    Buffer.BlockCopy(buffer, offset, _buffer, _filled, copied);
                    _filled += copied;
                    _bytesWritten += copied;
                    offset += copied;
                    count -= copied;
                    if (_filled == partSize)
                    {
                        await SendPartAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex) when (_state == UploadState.Open)
            {
                Exception failure = await FailAsync(ex, cancellationToken).ConfigureAwait(false);
                if (failure == ex)
                {
                    throw;
                }

                throw failure;
            }
        }

        /// <summary>Does nothing: S3 has a minimum part size, so parts go out when full.</summary>
        public override void Flush()
        {
        }

        public override async Task CompleteAsync(CancellationToken cancellationToken)
        {
            ThrowIfNotOpen();
            try
            {
                _openToken.ThrowIfCancellationRequested();
                if (_uploadId == null)
                {
                    await _repository.PutObjectAsync(
                        _key, _objectKey, _buffer ?? Array.Empty<byte>(), _filled,
                        cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    if (_filled > 0)
                    {
                        await SendPartAsync(cancellationToken).ConfigureAwait(false);
                    }

                    await WaitForPartsAsync(0, cancellationToken).ConfigureAwait(false);
                    await CompleteMultipartUploadAsync(cancellationToken).ConfigureAwait(false);
                }

                _state = UploadState.Completed;
                _buffer = null;
                _spareBuffers.Clear();
            }
            catch (Exception ex) when (_state == UploadState.Open)
            {
                Exception failure = await FailAsync(ex, cancellationToken).ConfigureAwait(false);
                if (failure == ex)
                {
                    throw;
                }

                throw failure;
            }
        }

        /// <summary>
        /// Stops the part uploads, waits for them to end, and aborts the multipart upload so
        /// that the server deletes the parts already stored.
        /// </summary>
        public override async Task AbortAsync()
        {
            if (_state != UploadState.Open)
            {
                return;
            }

            _state = UploadState.Aborted;
            _buffer = null;
            _partsCancellation.Cancel();
            foreach (Task<PartETag> part in _partsUploading)
            {
                try
                {
                    await part.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // The upload is being aborted, so a failed or cancelled part no longer
                    // matters. The abort request below deletes the parts that were stored.
                }
            }

            _partsUploading.Clear();
            if (_uploadId != null)
            {
                await AbortMultipartUploadAsync().ConfigureAwait(false);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                if (_state == UploadState.Open)
                {
                    try
                    {
                        AbortAsync().GetAwaiter().GetResult();
                    }
                    catch (MeshVolumeException)
                    {
                        // Dispose must not throw, so only callers that call AbortAsync see
                        // this failure. The incomplete upload never appears as an object, but
                        // its parts stay on the server until a lifecycle rule or
                        // 'aws s3api abort-multipart-upload' removes them.
                    }
                }

                _partsCancellation.Dispose();
            }

            base.Dispose(disposing);
        }

        private void ThrowIfNotOpen()
        {
            if (_state != UploadState.Open)
            {
                throw new InvalidOperationException(
                    $"The upload of '{_key}' is already {_state.ToString().ToLowerInvariant()}.");
            }
        }

        /// <summary>
        /// Makes room in the part buffer. The first buffer starts small and doubles up to the
        /// part size, so that small objects do not take a whole part of memory.
        /// </summary>
        private void EnsureBufferRoom(int partSize)
        {
            if (_buffer == null)
            {
                lock (_spareBuffers)
                {
                    _buffer = _spareBuffers.Count > 0 ? _spareBuffers.Pop() : null;
                }

                if (_buffer == null || _buffer.Length != partSize)
                {
                    _buffer = new byte[Math.Min(partSize, InitialBufferSize)];
                }
            }

            if (_filled == _buffer.Length && _buffer.Length < partSize)
            {
                var larger = new byte[(int)Math.Min(partSize, 2L * _buffer.Length)];
                Buffer.BlockCopy(_buffer, 0, larger, 0, _filled);
                _buffer = larger;
            }
        }

        /// <summary>Starts uploading the filled buffer as the next part.</summary>
        private async Task SendPartAsync(CancellationToken cancellationToken)
        {
            int partNumber = _nextPartNumber;
            if (partNumber > MaxPartCount)
            {
                throw new MeshVolumeException(
                    $"The object '{_key}' is larger than {MaxPartCount} parts can hold " +
                    "(about 4.87 TiB), the most that one S3 upload of unknown size can store.",
                    MeshErrors.BackupFailed, ErrorCategory.LimitsExceeded);
            }

            if (_uploadId == null)
            {
                _uploadId = await StartMultipartUploadAsync(cancellationToken)
                    .ConfigureAwait(false);
            }

            int maxUploading = _buffer.Length <= LargePartSize ? MaxPartsUploadingSmall : 1;
            await WaitForPartsAsync(maxUploading - 1, cancellationToken).ConfigureAwait(false);

            byte[] buffer = _buffer;
            int length = _filled;
            _buffer = null;
            _filled = 0;
            _nextPartNumber++;
            _partsUploading.Add(Task.Run(() => UploadPartAsync(partNumber, buffer, length)));
        }

        /// <summary>
        /// Waits until at most the given number of part uploads are running, and rethrows
        /// the first failure among those that ended.
        /// </summary>
        private async Task WaitForPartsAsync(int maxRunning, CancellationToken cancellationToken)
        {
            while (true)
            {
                for (int i = _partsUploading.Count - 1; i >= 0; i--)
                {
                    Task<PartETag> part = _partsUploading[i];
                    if (part.IsCompleted)
                    {
                        _partsUploading.RemoveAt(i);
                        _partsUploaded.Add(await part.ConfigureAwait(false));
                    }
                }

                if (_partsUploading.Count <= maxRunning)
                {
                    return;
                }

                cancellationToken.ThrowIfCancellationRequested();
                var cancelled = new TaskCompletionSource<bool>();
                using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
                {
                    var waitFor = new List<Task>(_partsUploading) { cancelled.Task };
                    await Task.WhenAny(waitFor).ConfigureAwait(false);
                }
            }
        }

        private async Task<string> StartMultipartUploadAsync(CancellationToken cancellationToken)
        {
            var request = new InitiateMultipartUploadRequest
            {
                BucketName = _repository.BucketName,
                Key = _objectKey,
            };
            InitiateMultipartUploadResponse response = await _repository.Client
                .InitiateMultipartUploadAsync(request, cancellationToken).ConfigureAwait(false);
            return response.UploadId;
        }

        private async Task<PartETag> UploadPartAsync(int partNumber, byte[] buffer, int length)
        {
            using (var content = new MemoryStream(buffer, 0, length, writable: false))
            {
                var request = new UploadPartRequest
                {
                    BucketName = _repository.BucketName,
                    Key = _objectKey,
                    UploadId = _uploadId,
                    PartNumber = partNumber,
                    PartSize = length,
                    InputStream = content,
                };
                UploadPartResponse response = await _repository.Client
                    .UploadPartAsync(request, _partsCancellation.Token).ConfigureAwait(false);
                ReturnBuffer(buffer);
                return new PartETag(partNumber, response.ETag);
            }
        }

        private void ReturnBuffer(byte[] buffer)
        {
            lock (_spareBuffers)
            {
                if (_spareBuffers.Count < MaxPartsUploadingSmall)
                {
                    _spareBuffers.Push(buffer);
                }
            }
        }

        private async Task CompleteMultipartUploadAsync(CancellationToken cancellationToken)
        {
            _partsUploaded.Sort((a, b) => (a.PartNumber ?? 0).CompareTo(b.PartNumber ?? 0));
            var request = new CompleteMultipartUploadRequest
            {
                BucketName = _repository.BucketName,
                Key = _objectKey,
                UploadId = _uploadId,
                PartETags = _partsUploaded,
            };
            await _repository.Client.CompleteMultipartUploadAsync(request, cancellationToken)
                .ConfigureAwait(false);
        }

        private async Task AbortMultipartUploadAsync()
        {
            var request = new AbortMultipartUploadRequest
            {
                BucketName = _repository.BucketName,
                Key = _objectKey,
                UploadId = _uploadId,
            };

            // The caller's token may already be cancelled, and the abort must still be sent.
            using (var timeout = new CancellationTokenSource(AbortTimeout))
            {
                try
                {
                    await _repository.Client.AbortMultipartUploadAsync(request, timeout.Token)
                        .ConfigureAwait(false);
                }
                catch (Exception ex) when (!(ex is MeshVolumeException))
                {
                    MeshVolumeException error =
                        _repository.TranslateError(ex, "abort the upload of", _key);
                    throw new MeshVolumeException(
                        $"{error.Message} The incomplete multipart upload {_uploadId} keeps its " +
                        "parts on the server until it is aborted, for example with 'aws s3api " +
                        $"abort-multipart-upload --bucket {_repository.BucketName} --key " +
                        $"{_objectKey} --upload-id {_uploadId}'.",
                        error.ErrorId, error.Category, ex);
                }
            }
        }

        /// <summary>
        /// Aborts the upload after a failure and returns the exception to throw: the
        /// caller's cancellation as it is, SDK errors as a <see cref="MeshVolumeException"/>
        /// that names the cause, with any abort failure added to the message.
        /// </summary>
        private async Task<Exception> FailAsync(
            Exception error, CancellationToken cancellationToken)
        {
            string abortProblem = null;
            try
            {
                await AbortAsync().ConfigureAwait(false);
            }
            catch (MeshVolumeException abortError)
            {
                abortProblem = abortError.Message;
            }

            bool tokenCancelled = cancellationToken.IsCancellationRequested
                || _openToken.IsCancellationRequested;
            bool cancelled = error is OperationCanceledException && tokenCancelled;
            if (abortProblem == null && (cancelled || error is MeshVolumeException))
            {
                return error;
            }

            MeshVolumeException translated = error as MeshVolumeException;
            if (translated == null)
            {
                translated = cancelled
                    ? new MeshVolumeException(
                        $"The upload of '{_key}' was cancelled.", MeshErrors.OperationCancelled,
                        ErrorCategory.OperationStopped, error)
                    : _repository.TranslateError(error, "upload", _key);
            }

            if (abortProblem == null)
            {
                return translated;
            }

            return new MeshVolumeException(
                translated.Message + " " + abortProblem, translated.ErrorId, translated.Category,
                error);
        }
    }
}
