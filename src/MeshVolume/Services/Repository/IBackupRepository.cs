using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace MeshVolume.Services.Repository
{
    /// <summary>An object stored in a repository.</summary>
    public sealed class RepositoryObject
    {
        /// <summary>Name relative to the repository root, '/' separated.</summary>
        public string Key { get; set; }

        public long Size { get; set; }

        public DateTime LastModifiedUtc { get; set; }
    }

    /// <summary>
    /// A stream that stores what is written to it as one object. Nothing is visible under
    /// the final key until <see cref="CompleteAsync"/> succeeds; disposing it without
    /// completing discards everything written.
    /// </summary>
    public abstract class RepositoryUpload : Stream
    {
        public abstract Task CompleteAsync(CancellationToken cancellationToken);

        public abstract Task AbortAsync();

        /// <summary>Bytes written so far, which <see cref="Position"/> also returns.</summary>
        public abstract long BytesWritten { get; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => BytesWritten;
            set => throw new NotSupportedException();
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
    }

    /// <summary>A folder or S3 location that contains backups.</summary>
    public interface IBackupRepository : IDisposable
    {
        /// <summary>Location as the user wrote it: a full folder path or s3://bucket/prefix.</summary>
        string Location { get; }

        /// <summary>
        /// Checks that the repository can be reached and listed with the configured
        /// credentials, and throws a <see cref="MeshVolumeException"/> that names the cause
        /// when it cannot. A folder repository that does not exist yet is created, because
        /// the first backup into a new folder is expected to create it.
        /// </summary>
        Task CheckAccessAsync(CancellationToken cancellationToken);

        /// <summary>Starts writing an object; memory stays bounded whatever the size.</summary>
        Task<RepositoryUpload> OpenUploadAsync(string key, CancellationToken cancellationToken);

        Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken);

        /// <summary>Writes a small object in one request, replacing any object of that name.</summary>
        Task WriteAllBytesAsync(string key, byte[] content, CancellationToken cancellationToken);

        Task<byte[]> ReadAllBytesAsync(string key, CancellationToken cancellationToken);

        /// <summary>
        /// Lists every object whose key starts with a prefix (empty for all), paging through
        /// any number of them.
        /// </summary>
        Task<IReadOnlyList<RepositoryObject>> ListAsync(
            string prefix, CancellationToken cancellationToken);

        Task<bool> ExistsAsync(string key, CancellationToken cancellationToken);

        /// <summary>Deletes an object. Deleting a missing key is not an error.</summary>
        Task DeleteAsync(string key, CancellationToken cancellationToken);
    }
}
