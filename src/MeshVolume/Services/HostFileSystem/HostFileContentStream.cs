using System;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace MeshVolume.Services.HostFileSystem
{
    /// <summary>A file descriptor that SafeHandle closes once, after the last read using it ends.</summary>
    internal sealed class FileDescriptorHandle : SafeHandle
    {
        public FileDescriptorHandle(int fd)
            : base(new IntPtr(-1), true)
        {
            SetHandle(new IntPtr(fd));
        }

        public override bool IsInvalid => handle.ToInt64() < 0;

        protected override bool ReleaseHandle()
        {
            return NativeMethods.close(handle.ToInt32()) == 0;
        }
    }

    /// <summary>
    /// Read-only, seekable content of a regular file in a volume, read with pread(2) from the
    /// descriptor that the reader opened, so the file is never looked up by path again. Reads
    /// go straight into the caller's buffer: callers that copy large files should pass a
    /// buffer of about 1 MiB. Holes of a sparse file read as zeros; seek to the entry's
    /// SparseMap segments to read only the data.
    /// </summary>
    public sealed class HostFileContentStream : Stream
    {
        private readonly FileDescriptorHandle _handle;
        private readonly string _path;
        private readonly long _length;
        private long _position;

        internal HostFileContentStream(FileDescriptorHandle handle, string path, long length)
        {
            _handle = handle;
            _path = path;
            _length = length;
        }

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        /// <summary>Size the file had when the reader listed it.</summary>
        public override long Length => _length;

        public override long Position
        {
            get => _position;
            set => Seek(value, SeekOrigin.Begin);
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException(nameof(buffer));
            }

            if (offset < 0 || count < 0 || offset + count > buffer.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            long remaining = _length - _position;
            int requested = (int)Math.Min(count, remaining);
            if (requested <= 0)
            {
                return 0;
            }

            int read = ReadAt(buffer, offset, requested, _position);
            if (read == 0)
            {
                throw new MeshVolumeException(
                    $"The file '{_path}' became shorter while it was being read ({_position} of " +
                    $"{_length} bytes). Stop the containers that write to the volume, or back " +
                    "it up again.",
                    MeshErrors.BackupFailed, ErrorCategory.ReadError);
            }

            _position += read;
            return read;
        }

        public override Task<int> ReadAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            // pread has no asynchronous form, so the read runs on the caller's thread.
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(Read(buffer, offset, count));
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            long target;
            switch (origin)
            {
                case SeekOrigin.Begin:
                    target = offset;
                    break;
                case SeekOrigin.Current:
                    target = _position + offset;
                    break;
                default:
                    target = _length + offset;
                    break;
            }

            if (target < 0)
            {
                throw new IOException($"Cannot seek before the start of '{_path}'.");
            }

            _position = target;
            return target;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value)
        {
            throw new NotSupportedException("The content of a volume file is read-only.");
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            throw new NotSupportedException("The content of a volume file is read-only.");
        }

        // The handle belongs to the reader, which closes it when it moves to the next entry.
        // AddRef makes a read after that raise ObjectDisposedException rather than read
        // whatever file reused the descriptor number.
        private int ReadAt(byte[] buffer, int offset, int count, long position)
        {
            bool added = false;
            try
            {
                _handle.DangerousAddRef(ref added);
                int fd = _handle.DangerousGetHandle().ToInt32();
                while (true)
                {
                    long read = (long)NativeMethods.pread(
                        fd, ref buffer[offset], (UIntPtr)count, position);
                    if (read >= 0)
                    {
                        return (int)read;
                    }

                    int errno = Marshal.GetLastWin32Error();
                    if (errno != NativeMethods.EINTR)
                    {
                        throw LinuxFileSystem.Failure(
                            MeshErrors.BackupFailed, ErrorCategory.ReadError,
                            $"Could not read the file '{_path}' at offset {position}.", errno);
                    }
                }
            }
            finally
            {
                if (added)
                {
                    _handle.DangerousRelease();
                }
            }
        }
    }
}
