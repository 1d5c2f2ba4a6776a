using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using MeshVolume.Services.Archive;

namespace MeshVolume.Services.HostFileSystem
{
    /// <summary>
    /// Writes the content of one File entry into a newly created file with pwrite(2). A sparse
    /// entry's data segments go to their offsets and the file is then extended to its size
    /// with ftruncate, so the holes are never written and stay unallocated. Zero runs in a
    /// dense file are written as data, which keeps the allocation the source file had.
    /// </summary>
    internal sealed class FileContentWriter
    {
        private readonly int _fd;
        private readonly ArchiveEntry _entry;
        private readonly string _path;
        private readonly string _rootPath;
        private readonly byte[] _buffer;

        public FileContentWriter(int fd, ArchiveEntry entry, string path, string rootPath, byte[] buffer)
        {
            _fd = fd;
            _entry = entry;
            _path = path;
            _rootPath = rootPath;
            _buffer = buffer;
        }

        public async Task WriteAsync(Stream content, CancellationToken cancellationToken)
        {
            if (_entry.SparseMap == null)
            {
                await CopyAsync(content, 0, _entry.Size, cancellationToken).ConfigureAwait(false);
                return;
            }

            ValidateSparseMap();
            foreach (SparseSegment segment in _entry.SparseMap)
            {
                await CopyAsync(content, segment.Offset, segment.Length, cancellationToken)
                    .ConfigureAwait(false);
            }

            if (NativeMethods.ftruncate(_fd, _entry.Size) != 0)
            {
                throw Failure("set the size of", Marshal.GetLastWin32Error());
            }
        }

        private async Task CopyAsync(
            Stream content, long offset, long length, CancellationToken cancellationToken)
        {
            long done = 0;
            while (done < length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int requested = (int)Math.Min(_buffer.Length, length - done);
                int read = await content.ReadAsync(_buffer, 0, requested, cancellationToken)
                    .ConfigureAwait(false);
                if (read == 0)
                {
                    throw new MeshVolumeException(
                        $"The content of '{_entry.Path}' ended after {offset + done} of " +
                        $"{_entry.Size} bytes. The archive is truncated or damaged.",
                        MeshErrors.ArchiveCorrupt, ErrorCategory.InvalidData);
                }

                WriteAll(read, offset + done);
                done += read;
            }
        }

        private void WriteAll(int count, long position)
        {
            int written = 0;
            while (written < count)
            {
                long result = (long)NativeMethods.pwrite(
                    _fd, ref _buffer[written], (UIntPtr)(count - written), position + written);
                if (result < 0)
                {
                    int errno = Marshal.GetLastWin32Error();
                    if (errno == NativeMethods.EINTR)
                    {
                        continue;
                    }

                    throw Failure("write", errno);
                }

                written += (int)result;
            }
        }

        // Segments must be in offset order, must not overlap and must end within the size:
        // the packed content is read in that order.
        private void ValidateSparseMap()
        {
            long end = 0;
            foreach (SparseSegment segment in _entry.SparseMap)
            {
                bool valid = segment.Offset >= end && segment.Length >= 0 &&
                    segment.Offset + segment.Length <= _entry.Size;
                if (!valid)
                {
                    throw new MeshVolumeException(
                        $"The sparse map of '{_entry.Path}' is invalid: the segment at offset " +
                        $"{segment.Offset} with {segment.Length} bytes overlaps another or ends " +
                        $"after the size {_entry.Size}. The archive is damaged.",
                        MeshErrors.ArchiveCorrupt, ErrorCategory.InvalidData);
                }

                end = segment.Offset + segment.Length;
            }
        }

        private MeshVolumeException Failure(string action, int errno)
        {
            return LinuxFileSystem.Failure(
                MeshErrors.RestoreFailed, ErrorCategory.WriteError,
                $"Could not {action} '{_path}' in the volume folder '{_rootPath}'.", errno);
        }
    }
}
