using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace MeshVolume.Services.Repository
{
    /// <summary>
    /// An upload into a folder repository: data goes to a hidden '.partial' file beside the
    /// final one, which is flushed to disk and renamed into place on completion and deleted
    /// otherwise.
    /// </summary>
    internal sealed class FolderUpload : RepositoryUpload
    {
        private readonly string _key;
        private readonly string _finalPath;
        private readonly string _partialPath;
        private FileStream _file;
        private long _bytesWritten;
        private bool _completed;

        public FolderUpload(string key, string finalPath, string partialPath, FileStream file)
        {
            _key = key;
            _finalPath = finalPath;
            _partialPath = partialPath;
            _file = file;
        }

        public override long BytesWritten => _bytesWritten;

        public override void Write(byte[] buffer, int offset, int count)
        {
            FileStream file = GetOpenFile();
            RunWriteStep(() =>
            {
                file.Write(buffer, offset, count);
                return Task.CompletedTask;
            }).GetAwaiter().GetResult();
            _bytesWritten += count;
        }

        public override async Task WriteAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            FileStream file = GetOpenFile();
            await RunWriteStep(() => file.WriteAsync(buffer, offset, count, cancellationToken))
                .ConfigureAwait(false);
            _bytesWritten += count;
        }

        public override void Flush()
        {
            _file?.Flush();
        }

        public override async Task CompleteAsync(CancellationToken cancellationToken)
        {
            FileStream file = GetOpenFile();
            cancellationToken.ThrowIfCancellationRequested();
            await RunWriteStep(() =>
            {
                // Flush to disk first, so that a crash after the rename never leaves a
                // complete-looking file with missing data.
                file.Flush(flushToDisk: true);
                file.Dispose();
                _file = null;
                if (File.Exists(_finalPath))
                {
                    File.Replace(_partialPath, _finalPath, null);
                }
                else
                {
                    File.Move(_partialPath, _finalPath);
                }

                return Task.CompletedTask;
            }).ConfigureAwait(false);
            _completed = true;
        }

        public override Task AbortAsync()
        {
            DeletePartialFile();
            return Task.CompletedTask;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_completed)
            {
                DeletePartialFile();
            }

            base.Dispose(disposing);
        }

        private FileStream GetOpenFile()
        {
            if (_file == null)
            {
                throw new InvalidOperationException(
                    $"The upload of '{_key}' is already complete or aborted.");
            }

            return _file;
        }

        /// <summary>
        /// Runs one step of the upload. On failure it deletes the partial file, so that a
        /// failed backup leaves nothing behind, and throws an error that names the file.
        /// </summary>
        private async Task RunWriteStep(Func<Task> step)
        {
            try
            {
                await step().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                DeletePartialFile();
                throw new MeshVolumeException(
                    $"Could not write '{_finalPath}': {ex.Message}",
                    MeshErrors.RepositoryAccessFailed,
                    System.Management.Automation.ErrorCategory.WriteError, ex);
            }
            catch (OperationCanceledException)
            {
                DeletePartialFile();
                throw;
            }
        }

        private void DeletePartialFile()
        {
            try
            {
                _file?.Dispose();
                _file = null;
                File.Delete(_partialPath);
            }
            catch (IOException)
            {
                // Nothing more can be done here. The '.partial' name keeps the file out of
                // listings, so it never looks like a backup.
            }
            catch (UnauthorizedAccessException)
            {
                // As above.
            }
        }
    }
}
