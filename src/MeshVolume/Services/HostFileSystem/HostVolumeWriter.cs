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
    /// Restores archive entries straight into a volume folder on this host. Every name is
    /// created relative to its parent's descriptor and no symlink is followed, so an archive
    /// path through a symlink, "..", or an absolute path is rejected rather than written
    /// outside the volume. Owners are restored, which needs root. Folder modes, owners,
    /// attributes and mtimes are applied by Complete, because adding children changes them.
    /// Not thread-safe. Linux only.
    /// </summary>
    public sealed class HostVolumeWriter : IDisposable
    {
        private const int BufferSize = 1024 * 1024;

        // Mode of a parent folder that the archive lacks; entries listed later replace it.
        private const uint ImpliedFolderMode = 0x1ED; // 0755

        private readonly Action<string> _warningHandler;
        private readonly List<string> _warnings = new List<string>();
        private readonly List<OpenFolder> _openFolders = new List<OpenFolder>();
        private readonly List<ArchiveEntry> _folders = new List<ArchiveEntry>();
        private readonly byte[] _buffer = new byte[BufferSize];
        private int _rootFd;
        private bool _completed;

        /// <param name="rootPath">Absolute path of an existing volume folder.</param>
        /// <param name="warningHandler">Receives a message for each attribute that could not be set.</param>
        public HostVolumeWriter(string rootPath, Action<string> warningHandler = null)
        {
            RootPath = HostVolumePaths.ValidateRoot(rootPath, MeshErrors.RestoreFailed);
            _warningHandler = warningHandler;
            _rootFd = HostVolumePaths.OpenRoot(RootPath, MeshErrors.RestoreFailed);
        }

        /// <summary>Absolute path of the volume folder.</summary>
        public string RootPath { get; }

        /// <summary>Messages about what could not be restored, in the order they were reported.</summary>
        public IReadOnlyList<string> Warnings => _warnings;

        /// <summary>
        /// Returns true when this process can restore into the folder directly: it can open it,
        /// and it runs as root, which restoring owners needs.
        /// </summary>
        public static bool CanWrite(string rootPath)
        {
            return HostVolumePaths.CanOpenRoot(rootPath) && NativeMethods.geteuid() == 0;
        }

        /// <summary>
        /// Removes everything inside the volume folder without following any symlink. The folder
        /// itself stays.
        /// </summary>
        public static void ClearVolume(string rootPath)
        {
            VolumeCleaner.Clear(HostVolumePaths.ValidateRoot(rootPath, MeshErrors.RestoreFailed));
        }

        /// <inheritdoc cref="WriteEntryAsync"/>
        public void WriteEntry(ArchiveEntry entry, Stream content = null)
        {
            WriteEntryAsync(entry, content, CancellationToken.None).GetAwaiter().GetResult();
        }

        /// <summary>
        /// Creates one entry. Missing parent folders are created. An existing entry of another
        /// kind at the path is replaced, except a folder, which is kept for a Directory entry
        /// and is an error for any other. For a File, content supplies Size bytes. For a sparse
        /// File (SparseMap set), content supplies the bytes of its data segments one after
        /// another, as a tar archive stores them, and the holes stay unallocated.
        /// </summary>
        /// <exception cref="MeshVolumeException">
        /// ArchivePathUnsafe for a path that could leave the volume, ArchiveCorrupt when content
        /// ends early or the sparse map is invalid, RestoreFailed when a system call fails.
        /// </exception>
        public async Task WriteEntryAsync(
            ArchiveEntry entry, Stream content, CancellationToken cancellationToken)
        {
            if (entry == null)
            {
                throw new ArgumentNullException(nameof(entry));
            }

            ThrowIfCompleted();
            cancellationToken.ThrowIfCancellationRequested();
            ArchivePath path = ArchivePath.Parse(entry.Path, RootPath);
            if (path.IsRoot)
            {
                _folders.Add(entry);
                return;
            }

            int parentFd = OpenParent(path);
            switch (entry.Type)
            {
                case EntryType.Directory:
                    CreateFolder(parentFd, path);
                    _folders.Add(entry);
                    break;
                case EntryType.File:
                    await WriteFileAsync(parentFd, path, entry, content, cancellationToken)
                        .ConfigureAwait(false);
                    break;
                case EntryType.Symlink:
                    CreateSymlink(parentFd, path, entry);
                    break;
                case EntryType.HardLink:
                    CreateHardLink(parentFd, path, entry);
                    break;
                default:
                    CreateNode(parentFd, path, entry);
                    break;
            }
        }

        /// <summary>
        /// Applies the mode, owner, extended attributes and mtime of every Directory entry, the
        /// root "." included, in the reverse order of the entries, so children come before their
        /// parents. Call once, after the last entry.
        /// </summary>
        public void Complete()
        {
            ThrowIfCompleted();
            CloseOpenFolders();
            for (int i = _folders.Count - 1; i >= 0; i--)
            {
                ArchiveEntry entry = _folders[i];
                ArchivePath path = ArchivePath.Parse(entry.Path, RootPath);
                int fd = OpenExistingFolder(path, path.Names.Length);
                try
                {
                    ApplyMetadata(fd, entry);
                }
                finally
                {
                    LinuxFileSystem.Close(fd);
                }
            }

            _completed = true;
        }

        /// <summary>
        /// Writes every dirty page of the volume's file system to disk (syncfs), so a restore
        /// ends only when its data is stored.
        /// </summary>
        public void Flush()
        {
            if (NativeMethods.syncfs(_rootFd) != 0)
            {
                throw Failure("flush the file system of", ".", Marshal.GetLastWin32Error());
            }
        }

        public void Dispose()
        {
            CloseOpenFolders();
            LinuxFileSystem.Close(_rootFd);
            _rootFd = -1;
        }

        private void ThrowIfCompleted()
        {
            if (_rootFd < 0)
            {
                throw new ObjectDisposedException(nameof(HostVolumeWriter));
            }

            if (_completed)
            {
                throw new InvalidOperationException("Complete was already called on this writer.");
            }
        }

        // Keeps the folders of the previous entry's parent open: entries arrive depth first,
        // so most entries share all or most of their parent path with the one before.
        private int OpenParent(ArchivePath path)
        {
            int common = 0;
            while (common < _openFolders.Count && common < path.ParentCount &&
                _openFolders[common].Name == path.Names[common])
            {
                common++;
            }

            for (int i = _openFolders.Count - 1; i >= common; i--)
            {
                LinuxFileSystem.Close(_openFolders[i].Fd);
                _openFolders.RemoveAt(i);
            }

            for (int i = common; i < path.ParentCount; i++)
            {
                int parentFd = i == 0 ? _rootFd : _openFolders[i - 1].Fd;
                int fd = OpenOrCreateFolder(parentFd, path, i);
                _openFolders.Add(new OpenFolder(path.Names[i], fd));
            }

            return path.ParentCount == 0 ? _rootFd : _openFolders[path.ParentCount - 1].Fd;
        }

        private int OpenOrCreateFolder(int parentFd, ArchivePath path, int index)
        {
            byte[] name = path.CNames[index];
            int fd = LinuxFileSystem.OpenDirectoryNoFollow(parentFd, name, out int errno);
            if (fd < 0 && errno == NativeMethods.ENOENT)
            {
                if (NativeMethods.mkdirat(parentFd, name, ImpliedFolderMode) != 0)
                {
                    errno = Marshal.GetLastWin32Error();
                    if (errno != NativeMethods.EEXIST)
                    {
                        throw Failure("create the folder", path.Prefix(index + 1), errno);
                    }
                }

                fd = LinuxFileSystem.OpenDirectoryNoFollow(parentFd, name, out errno);
            }

            if (fd < 0)
            {
                throw NotAFolder(parentFd, path, index, errno);
            }

            return fd;
        }

        // Opens a folder that must exist, from the root, without following symlinks or
        // creating anything; returns a new descriptor, for the root too.
        private int OpenExistingFolder(ArchivePath path, int count)
        {
            int fd = LinuxFileSystem.OpenDirectoryNoFollow(_rootFd, new[] { (byte)'.', (byte)0 }, out int errno);
            if (fd < 0)
            {
                throw Failure("open", ".", errno);
            }

            for (int i = 0; i < count; i++)
            {
                int child = LinuxFileSystem.OpenDirectoryNoFollow(fd, path.CNames[i], out errno);
                if (child < 0)
                {
                    MeshVolumeException failure = NotAFolder(fd, path, i, errno);
                    LinuxFileSystem.Close(fd);
                    throw failure;
                }

                LinuxFileSystem.Close(fd);
                fd = child;
            }

            return fd;
        }

        private MeshVolumeException NotAFolder(int parentFd, ArchivePath path, int index, int errno)
        {
            string prefix = path.Prefix(index + 1);
            if (errno == NativeMethods.ELOOP || errno == NativeMethods.ENOTDIR)
            {
                int statErrno = LinuxFileSystem.StatAt(
                    parentFd, path.CNames[index], NativeMethods.AT_SYMLINK_NOFOLLOW, out Statx status);
                if (statErrno == 0 && status.FileType == NativeMethods.S_IFLNK)
                {
                    return new MeshVolumeException(
                        $"The archive path '{path.Text}' was rejected because '{prefix}' is a " +
                        $"symlink in '{RootPath}': following it could write outside the volume. " +
                        "The archive is damaged or crafted, or the volume was not empty.",
                        MeshErrors.ArchivePathUnsafe, ErrorCategory.SecurityError);
                }

                return new MeshVolumeException(
                    $"Could not restore '{path.Text}' because '{prefix}' in '{RootPath}' is not a " +
                    "folder. Restore into an empty volume, or clear it first.",
                    MeshErrors.RestoreFailed, ErrorCategory.InvalidData);
            }

            return Failure("open the folder", prefix, errno);
        }

        private void CreateFolder(int parentFd, ArchivePath path)
        {
            byte[] name = path.LastCName;
            if (NativeMethods.mkdirat(parentFd, name, 0x1C0) == 0) // 0700 until Complete
            {
                return;
            }

            int errno = Marshal.GetLastWin32Error();
            if (errno == NativeMethods.EEXIST && !IsFolder(parentFd, name))
            {
                RemoveExisting(parentFd, path);
                errno = NativeMethods.mkdirat(parentFd, name, 0x1C0) == 0 ? 0 : Marshal.GetLastWin32Error();
            }

            if (errno != 0 && errno != NativeMethods.EEXIST)
            {
                throw Failure("create the folder", path.Text, errno);
            }
        }

        private async Task WriteFileAsync(
            int parentFd, ArchivePath path, ArchiveEntry entry, Stream content,
            CancellationToken cancellationToken)
        {
            if (content == null && (entry.Size > 0 || entry.SparseMap?.Count > 0))
            {
                throw new ArgumentException(
                    $"The File entry '{entry.Path}' has content, but no content stream was given.",
                    nameof(content));
            }

            int flags = NativeMethods.O_WRONLY | NativeMethods.O_CREAT | NativeMethods.O_EXCL |
                NativeMethods.O_NOFOLLOW | NativeMethods.O_NOCTTY;
            int fd = CreateReplacing(parentFd, path,
                (int dirFd, byte[] name, out int errno) =>
                    LinuxFileSystem.OpenAt(dirFd, name, flags, 0x180, out errno)); // 0600
            try
            {
                var writer = new FileContentWriter(fd, entry, path.Text, RootPath, _buffer);
                await writer.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                ApplyMetadata(fd, entry);
            }
            finally
            {
                LinuxFileSystem.Close(fd);
            }
        }

        private void CreateSymlink(int parentFd, ArchivePath path, ArchiveEntry entry)
        {
            if (string.IsNullOrEmpty(entry.LinkTarget))
            {
                throw new MeshVolumeException(
                    $"The symlink '{entry.Path}' in the archive has no target. The archive is damaged.",
                    MeshErrors.ArchiveCorrupt, ErrorCategory.InvalidData);
            }

            byte[] target = LinuxFileSystem.ToCString(entry.LinkTarget);
            CreateReplacing(parentFd, path, (int dirFd, byte[] name, out int errno) =>
            {
                int result = NativeMethods.symlinkat(target, dirFd, name);
                errno = result == 0 ? 0 : Marshal.GetLastWin32Error();
                return result;
            });
            ApplyMetadataByName(parentFd, path, entry, setMode: false);
        }

        private void CreateHardLink(int parentFd, ArchivePath path, ArchiveEntry entry)
        {
            if (string.IsNullOrEmpty(entry.LinkTarget))
            {
                throw new MeshVolumeException(
                    $"The hard link '{entry.Path}' in the archive has no target. The archive is damaged.",
                    MeshErrors.ArchiveCorrupt, ErrorCategory.InvalidData);
            }

            ArchivePath target = ArchivePath.Parse(entry.LinkTarget, RootPath);
            if (target.IsRoot)
            {
                throw new MeshVolumeException(
                    $"The hard link '{entry.Path}' points at the volume root. The archive is damaged.",
                    MeshErrors.ArchiveCorrupt, ErrorCategory.InvalidData);
            }

            int targetParentFd = OpenExistingFolder(target, target.ParentCount);
            try
            {
                // Flags 0: a target that is a symlink gets linked itself, never followed.
                CreateReplacing(parentFd, path, (int dirFd, byte[] name, out int errno) =>
                {
                    int result = NativeMethods.linkat(targetParentFd, target.LastCName, dirFd, name, 0);
                    errno = result == 0 ? 0 : Marshal.GetLastWin32Error();
                    return result;
                });
            }
            finally
            {
                LinuxFileSystem.Close(targetParentFd);
            }
        }

        private void CreateNode(int parentFd, ArchivePath path, ArchiveEntry entry)
        {
            uint fileType;
            switch (entry.Type)
            {
                case EntryType.Fifo:
                    fileType = NativeMethods.S_IFIFO;
                    break;
                case EntryType.CharDevice:
                    fileType = NativeMethods.S_IFCHR;
                    break;
                case EntryType.BlockDevice:
                    fileType = NativeMethods.S_IFBLK;
                    break;
                default:
                    throw new MeshVolumeException(
                        $"The entry '{entry.Path}' has the unknown type {entry.Type}.",
                        MeshErrors.ArchiveCorrupt, ErrorCategory.InvalidData);
            }

            ulong device = NativeMethods.MakeDevice((uint)entry.DeviceMajor, (uint)entry.DeviceMinor);
            CreateReplacing(parentFd, path, (int dirFd, byte[] name, out int errno) =>
            {
                int result = NativeMethods.mknodat(dirFd, name, fileType | 0x180, device);
                errno = result == 0 ? 0 : Marshal.GetLastWin32Error();
                return result;
            });
            ApplyMetadataByName(parentFd, path, entry, setMode: true);
        }

        private delegate int CreateAction(int dirFd, byte[] name, out int errno);

        // Runs a create call; when the name exists (EEXIST), removes what is there and retries
        // once, as tar does when it extracts over existing files.
        private int CreateReplacing(int parentFd, ArchivePath path, CreateAction create)
        {
            int result = create(parentFd, path.LastCName, out int errno);
            if (result < 0 && errno == NativeMethods.EEXIST)
            {
                RemoveExisting(parentFd, path);
                result = create(parentFd, path.LastCName, out errno);
            }

            if (result < 0)
            {
                throw Failure("create", path.Text, errno);
            }

            return result;
        }

        private void RemoveExisting(int parentFd, ArchivePath path)
        {
            if (NativeMethods.unlinkat(parentFd, path.LastCName, 0) == 0)
            {
                return;
            }

            int errno = Marshal.GetLastWin32Error();
            if (errno == NativeMethods.EISDIR)
            {
                throw new MeshVolumeException(
                    $"Could not restore '{path.Text}' because a folder of that name exists in " +
                    $"'{RootPath}'. Restore into an empty volume, or clear it first.",
                    MeshErrors.RestoreFailed, ErrorCategory.ResourceExists);
            }

            if (errno != NativeMethods.ENOENT)
            {
                throw Failure("replace", path.Text, errno);
            }
        }

        private static bool IsFolder(int parentFd, byte[] name)
        {
            int errno = LinuxFileSystem.StatAt(parentFd, name, NativeMethods.AT_SYMLINK_NOFOLLOW, out Statx status);
            return errno == 0 && status.FileType == NativeMethods.S_IFDIR;
        }

        // Owner first, because chown clears setuid and setgid; the mtime last, after every
        // change to the file.
        private void ApplyMetadata(int fd, ArchiveEntry entry)
        {
            if (NativeMethods.fchown(fd, (uint)entry.Uid, (uint)entry.Gid) != 0)
            {
                throw Failure("set the owner of", entry.Path, Marshal.GetLastWin32Error());
            }

            if (NativeMethods.fchmod(fd, (uint)entry.Mode & 0xFFF) != 0)
            {
                throw Failure("set the mode of", entry.Path, Marshal.GetLastWin32Error());
            }

            WriteXattrs(fd, null, entry);
            var times = MtimeOnly(entry.MtimeNanoseconds);
            if (NativeMethods.futimens(fd, times) != 0)
            {
                throw Failure("set the mtime of", entry.Path, Marshal.GetLastWin32Error());
            }
        }

        // For symlinks, FIFOs and devices, which are never opened for writing: each call works
        // on the name below parentFd without following it.
        private void ApplyMetadataByName(int parentFd, ArchivePath path, ArchiveEntry entry, bool setMode)
        {
            byte[] name = path.LastCName;
            int noFollow = NativeMethods.AT_SYMLINK_NOFOLLOW;
            if (NativeMethods.fchownat(parentFd, name, (uint)entry.Uid, (uint)entry.Gid, noFollow) != 0)
            {
                throw Failure("set the owner of", entry.Path, Marshal.GetLastWin32Error());
            }

            if (setMode)
            {
                SetNodeMode(parentFd, path, entry);
            }

            byte[] bareName = new byte[name.Length - 1];
            Buffer.BlockCopy(name, 0, bareName, 0, bareName.Length);
            WriteXattrs(-1, LinuxFileSystem.ProcFdPath(parentFd, bareName), entry);
            if (NativeMethods.utimensat(parentFd, name, MtimeOnly(entry.MtimeNanoseconds), noFollow) != 0)
            {
                throw Failure("set the mtime of", entry.Path, Marshal.GetLastWin32Error());
            }
        }

        // Linux has no lchmod: open the node with O_PATH, check that it is no symlink, and
        // chmod it through /proc/self/fd, which reaches the node itself.
        private void SetNodeMode(int parentFd, ArchivePath path, ArchiveEntry entry)
        {
            int flags = NativeMethods.O_PATH | NativeMethods.O_NOFOLLOW;
            int pathFd = LinuxFileSystem.OpenAt(parentFd, path.LastCName, flags, 0, out int errno);
            if (pathFd < 0)
            {
                throw Failure("open", entry.Path, errno);
            }

            try
            {
                errno = LinuxFileSystem.StatDescriptor(pathFd, out Statx status);
                if (errno != 0)
                {
                    throw Failure("read the status of", entry.Path, errno);
                }

                if (status.FileType == NativeMethods.S_IFLNK)
                {
                    throw new MeshVolumeException(
                        $"'{entry.Path}' in '{RootPath}' became a symlink while it was restored. " +
                        "Stop every container that uses the volume and restore again.",
                        MeshErrors.ArchivePathUnsafe, ErrorCategory.SecurityError);
                }

                byte[] procPath = LinuxFileSystem.ProcFdPath(pathFd);
                if (NativeMethods.fchmodat(NativeMethods.AT_FDCWD, procPath, (uint)entry.Mode & 0xFFF, 0) != 0)
                {
                    throw Failure("set the mode of", entry.Path, Marshal.GetLastWin32Error());
                }
            }
            finally
            {
                LinuxFileSystem.Close(pathFd);
            }
        }

        private void WriteXattrs(int fd, byte[] procPath, ArchiveEntry entry)
        {
            if (entry.Xattrs == null)
            {
                return;
            }

            foreach (KeyValuePair<string, byte[]> xattr in entry.Xattrs)
            {
                int errno = ExtendedAttributes.Write(fd, procPath, xattr.Key, xattr.Value);
                if (errno == 0)
                {
                    continue;
                }

                if (ExtendedAttributes.IsUnsupported(errno))
                {
                    Warn($"Could not set the extended attribute '{xattr.Key}' on '{entry.Path}': " +
                        $"the file system of '{RootPath}' does not support it.");
                    continue;
                }

                throw Failure($"set the extended attribute '{xattr.Key}' on", entry.Path, errno);
            }
        }

        private static Timespec[] MtimeOnly(long mtimeNanoseconds)
        {
            return new[]
            {
                new Timespec { Seconds = 0, Nanoseconds = NativeMethods.UTIME_OMIT },
                LinuxFileSystem.ToTimespec(mtimeNanoseconds),
            };
        }

        private void Warn(string message)
        {
            _warnings.Add(message);
            _warningHandler?.Invoke(message);
        }

        private void CloseOpenFolders()
        {
            foreach (OpenFolder folder in _openFolders)
            {
                LinuxFileSystem.Close(folder.Fd);
            }

            _openFolders.Clear();
        }

        private MeshVolumeException Failure(string action, string path, int errno)
        {
            return LinuxFileSystem.Failure(
                MeshErrors.RestoreFailed, ErrorCategory.WriteError,
                $"Could not {action} '{path}' in the volume folder '{RootPath}'.", errno);
        }

        /// <summary>A folder on the current parent path and its open descriptor.</summary>
        private readonly struct OpenFolder
        {
            public OpenFolder(string name, int fd)
            {
                Name = name;
                Fd = fd;
            }

            public string Name { get; }

            public int Fd { get; }
        }
    }
}
