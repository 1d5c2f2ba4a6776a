using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using MeshVolume.Services.Archive;

namespace MeshVolume.Services.HostFileSystem
{
    /// <summary>
    /// Reads a volume straight from its folder on this host (the volume's Mountpoint), which
    /// is faster than the engine's archive API and keeps sparse files and extended attributes.
    /// The contents were written by containers and are not trusted: every name is opened
    /// relative to its parent's descriptor with O_NOFOLLOW, so no symlink is followed, even
    /// when a folder is swapped for a symlink during the walk. Runs one enumeration at a time
    /// and is not thread-safe. Linux only.
    /// </summary>
    public sealed class HostVolumeReader
    {
        private readonly Action<string> _warningHandler;
        private readonly List<string> _warnings = new List<string>();
        private ArchiveEntry _contentEntry;
        private FileDescriptorHandle _contentHandle;

        /// <param name="rootPath">Absolute path of the volume folder; symlinks in it are followed.</param>
        /// <param name="warningHandler">Receives a message for each entry that is skipped.</param>
        public HostVolumeReader(string rootPath, Action<string> warningHandler = null)
        {
            RootPath = HostVolumePaths.ValidateRoot(rootPath, MeshErrors.BackupFailed);
            _warningHandler = warningHandler;
        }

        /// <summary>Absolute path of the volume folder.</summary>
        public string RootPath { get; }

        /// <summary>Messages about skipped entries, in the order they were reported.</summary>
        public IReadOnlyList<string> Warnings => _warnings;

        /// <summary>
        /// Returns true when this process can read the folder directly: Linux on 64-bit x86 or
        /// ARM, /proc mounted, and the folder exists and opens for reading.
        /// </summary>
        public static bool CanRead(string rootPath)
        {
            return HostVolumePaths.CanOpenRoot(rootPath);
        }

        /// <summary>
        /// Walks the volume depth first, names in each folder sorted by their UTF-8 bytes, and
        /// yields the root "." first. A file's content is available through OpenContent until
        /// the enumeration moves to the next entry. Hard links: the first path of an inode is a
        /// File, each later one a HardLink with LinkTarget set to that first path and Size 0.
        /// Sockets are skipped with a warning.
        /// </summary>
        /// <exception cref="MeshVolumeException">
        /// A name is not valid UTF-8 (FileNameNotUtf8), or a system call failed (BackupFailed).
        /// </exception>
        public IEnumerable<ArchiveEntry> ReadEntries(CancellationToken cancellationToken = default)
        {
            var frames = new Stack<DirectoryFrame>();
            var firstPaths = new Dictionary<FileIdentity, string>();
            int rootFd = HostVolumePaths.OpenRoot(RootPath, MeshErrors.BackupFailed);

            // ReadDirectoryEntry owns rootFd from here: it closes it on failure.
            ArchiveEntry root = ReadDirectoryEntry(rootFd, ".", "", out DirectoryFrame rootFrame);
            frames.Push(rootFrame);
            try
            {
                yield return root;

                while (frames.Count > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    DirectoryFrame frame = frames.Peek();
                    if (frame.NextIndex >= frame.Names.Count)
                    {
                        frames.Pop();
                        LinuxFileSystem.Close(frame.Fd);
                        continue;
                    }

                    byte[] name = frame.Names[frame.NextIndex++];
                    ArchiveEntry entry = ReadChild(frame, name, firstPaths, out DirectoryFrame child);
                    if (entry == null)
                    {
                        continue;
                    }

                    if (child != null)
                    {
                        frames.Push(child);
                    }

                    yield return entry;
                    ReleaseContent();
                }
            }
            finally
            {
                ReleaseContent();
                while (frames.Count > 0)
                {
                    LinuxFileSystem.Close(frames.Pop().Fd);
                }
            }
        }

        /// <summary>
        /// Opens the content of the File entry that ReadEntries yielded last, from the descriptor
        /// it already holds. Each call returns a new stream that starts at offset 0.
        /// </summary>
        /// <exception cref="InvalidOperationException">
        /// The entry is not a File or the enumeration has moved past it.
        /// </exception>
        public HostFileContentStream OpenContent(ArchiveEntry entry)
        {
            if (entry == null)
            {
                throw new ArgumentNullException(nameof(entry));
            }

            if (!ReferenceEquals(entry, _contentEntry) || _contentHandle == null)
            {
                throw new InvalidOperationException(
                    $"The content of '{entry.Path}' is not available: only the File entry that " +
                    "ReadEntries yielded last can be opened.");
            }

            return new HostFileContentStream(_contentHandle, entry.Path, entry.Size);
        }

        private void ReleaseContent()
        {
            _contentHandle?.Dispose();
            _contentHandle = null;
            _contentEntry = null;
        }

        private void Warn(string message)
        {
            _warnings.Add(message);
            _warningHandler?.Invoke(message);
        }

        // Opens the name with O_PATH, which never follows a symlink, never opens a device or
        // waits on a FIFO, and pins the inode that every later call inspects.
        private ArchiveEntry ReadChild(
            DirectoryFrame parent, byte[] name, Dictionary<FileIdentity, string> firstPaths,
            out DirectoryFrame child)
        {
            child = null;
            string path = parent.ChildPath(DecodeName(name, parent.Path));
            byte[] cName = LinuxFileSystem.ToCString(name);
            int flags = NativeMethods.O_PATH | NativeMethods.O_NOFOLLOW;
            int pathFd = LinuxFileSystem.OpenAt(parent.Fd, cName, flags, 0, out int errno);
            if (pathFd < 0 && errno == NativeMethods.ENOENT)
            {
                Warn($"Skipped '{path}' in '{RootPath}': it was removed while the volume was read.");
                return null;
            }

            if (pathFd < 0)
            {
                throw ReadFailure("open", path, errno);
            }

            try
            {
                errno = LinuxFileSystem.StatDescriptor(pathFd, out Statx status);
                if (errno != 0)
                {
                    throw ReadFailure("read the status of", path, errno);
                }

                switch (status.FileType)
                {
                    case NativeMethods.S_IFDIR:
                        int dirFd = LinuxFileSystem.OpenDirectoryOfPath(pathFd, out errno);
                        if (dirFd < 0)
                        {
                            throw ReadFailure("open the folder", path, errno);
                        }

                        return ReadDirectoryEntry(dirFd, path, path + "/", out child);
                    case NativeMethods.S_IFSOCK:
                        Warn($"Skipped the socket '{path}' in '{RootPath}': archives cannot hold " +
                            "sockets, and the program that listens on it creates it again.");
                        return null;
                }

                ArchiveEntry link = ReadHardLink(status, path, firstPaths);
                if (link != null)
                {
                    return link;
                }

                switch (status.FileType)
                {
                    case NativeMethods.S_IFREG:
                        return ReadFileEntry(pathFd, status, path);
                    case NativeMethods.S_IFLNK:
                        return ReadSymlinkEntry(parent, pathFd, name, status, path);
                    default:
                        return ReadSpecialEntry(parent, name, status, path);
                }
            }
            finally
            {
                LinuxFileSystem.Close(pathFd);
            }
        }

        // Takes ownership of dirFd: the returned frame owns it, or it is closed on failure.
        private ArchiveEntry ReadDirectoryEntry(
            int dirFd, string path, string childPrefix, out DirectoryFrame frame)
        {
            frame = null;
            try
            {
                int errno = LinuxFileSystem.StatDescriptor(dirFd, out Statx status);
                if (errno != 0)
                {
                    throw ReadFailure("read the status of", path, errno);
                }

                ArchiveEntry entry = CreateEntry(path, EntryType.Directory, status);
                entry.Xattrs = ReadXattrs(dirFd, null, path);
                List<byte[]> names = LinuxFileSystem.ReadDirectory(dirFd, out errno);
                if (names == null)
                {
                    throw ReadFailure("list the folder", path, errno);
                }

                frame = new DirectoryFrame(dirFd, path, childPrefix, names);
                return entry;
            }
            finally
            {
                if (frame == null)
                {
                    LinuxFileSystem.Close(dirFd);
                }
            }
        }

        private ArchiveEntry ReadFileEntry(int pathFd, Statx status, string path)
        {
            FileDescriptorHandle handle = OpenForReading(pathFd, path);
            try
            {
                int fd = handle.DangerousGetHandle().ToInt32();
                NativeMethods.posix_fadvise(fd, 0, 0, NativeMethods.POSIX_FADV_SEQUENTIAL);
                ArchiveEntry entry = CreateEntry(path, EntryType.File, status);
                entry.Size = (long)status.Size;
                entry.Xattrs = ReadXattrs(fd, null, path);
                if ((long)status.Blocks * 512 < entry.Size)
                {
                    entry.SparseMap = ReadSparseMap(fd, entry.Size, path);
                }

                _contentEntry = entry;
                _contentHandle = handle;
                return entry;
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        // Reopens the O_PATH descriptor through /proc/self/fd: the kernel opens the very inode
        // that was checked to be a regular file, so a name swapped for a device in the meantime
        // is never opened. O_NOATIME keeps the backup from changing access times.
        private FileDescriptorHandle OpenForReading(int pathFd, string path)
        {
            byte[] procPath = LinuxFileSystem.ProcFdPath(pathFd);
            int flags = NativeMethods.O_RDONLY | NativeMethods.O_NOCTTY | NativeMethods.O_NOATIME;
            int fd = LinuxFileSystem.OpenAt(NativeMethods.AT_FDCWD, procPath, flags, 0, out int errno);
            if (fd < 0 && errno == NativeMethods.EPERM)
            {
                // O_NOATIME needs the file's owner or CAP_FOWNER.
                flags &= ~NativeMethods.O_NOATIME;
                fd = LinuxFileSystem.OpenAt(NativeMethods.AT_FDCWD, procPath, flags, 0, out errno);
            }

            if (fd < 0)
            {
                throw ReadFailure("open", path, errno);
            }

            return new FileDescriptorHandle(fd);
        }

        // Lists the data segments with SEEK_DATA and SEEK_HOLE. Returns null for a file that is
        // one data segment after all, as compressed files on some file systems are.
        private IList<SparseSegment> ReadSparseMap(int fd, long size, string path)
        {
            var segments = new List<SparseSegment>();
            long offset = 0;
            while (offset < size)
            {
                long dataStart = NativeMethods.lseek(fd, offset, NativeMethods.SEEK_DATA);
                if (dataStart < 0)
                {
                    int errno = Marshal.GetLastWin32Error();
                    if (errno == NativeMethods.ENXIO)
                    {
                        // No data after offset: the rest of the file is a hole.
                        break;
                    }

                    throw ReadFailure("find the data segments of", path, errno);
                }

                if (dataStart >= size)
                {
                    break;
                }

                long holeStart = NativeMethods.lseek(fd, dataStart, NativeMethods.SEEK_HOLE);
                if (holeStart < 0)
                {
                    int errno = Marshal.GetLastWin32Error();
                    throw ReadFailure("find the holes of", path, errno);
                }

                holeStart = Math.Min(holeStart, size);
                segments.Add(new SparseSegment(dataStart, holeStart - dataStart));
                offset = holeStart;
            }

            bool dense = segments.Count == 1 && segments[0].Offset == 0 && segments[0].Length == size;
            return dense ? null : segments;
        }

        private ArchiveEntry ReadSymlinkEntry(
            DirectoryFrame parent, int pathFd, byte[] name, Statx status, string path)
        {
            byte[] target = LinuxFileSystem.ReadLink(pathFd, LinuxFileSystem.EmptyPath, out int errno);
            if (target == null)
            {
                throw ReadFailure("read the symlink", path, errno);
            }

            ArchiveEntry entry = CreateEntry(path, EntryType.Symlink, status);
            entry.LinkTarget = DecodeLinkTarget(target, path);
            entry.Xattrs = ReadXattrs(-1, LinuxFileSystem.ProcFdPath(parent.Fd, name), path);
            return entry;
        }

        // FIFOs and device nodes are described, never opened.
        private ArchiveEntry ReadSpecialEntry(
            DirectoryFrame parent, byte[] name, Statx status, string path)
        {
            EntryType type;
            switch (status.FileType)
            {
                case NativeMethods.S_IFIFO:
                    type = EntryType.Fifo;
                    break;
                case NativeMethods.S_IFCHR:
                    type = EntryType.CharDevice;
                    break;
                case NativeMethods.S_IFBLK:
                    type = EntryType.BlockDevice;
                    break;
                default:
                    throw new MeshVolumeException(
                        $"The entry '{path}' in '{RootPath}' has the unknown file type " +
                        $"0x{status.FileType:X}, so it cannot be backed up.",
                        MeshErrors.BackupFailed, ErrorCategory.InvalidData);
            }

            ArchiveEntry entry = CreateEntry(path, type, status);
            if (type != EntryType.Fifo)
            {
                entry.DeviceMajor = (int)status.RdevMajor;
                entry.DeviceMinor = (int)status.RdevMinor;
            }

            entry.Xattrs = ReadXattrs(-1, LinuxFileSystem.ProcFdPath(parent.Fd, name), path);
            return entry;
        }

        private static ArchiveEntry ReadHardLink(
            Statx status, string path, Dictionary<FileIdentity, string> firstPaths)
        {
            if (status.LinkCount <= 1)
            {
                return null;
            }

            var identity = new FileIdentity(status);
            if (!firstPaths.TryGetValue(identity, out string firstPath))
            {
                firstPaths.Add(identity, path);
                return null;
            }

            ArchiveEntry entry = CreateEntry(path, EntryType.HardLink, status);
            entry.LinkTarget = firstPath;
            return entry;
        }

        private static ArchiveEntry CreateEntry(string path, EntryType type, Statx status)
        {
            return new ArchiveEntry
            {
                Path = path,
                Type = type,
                Mode = status.Mode & 0xFFF,
                Uid = unchecked((int)status.Uid),
                Gid = unchecked((int)status.Gid),
                MtimeNanoseconds = status.MtimeSeconds * 1_000_000_000L + status.MtimeNanoseconds,
            };
        }

        private IDictionary<string, byte[]> ReadXattrs(int fd, byte[] procPath, string path)
        {
            try
            {
                Dictionary<string, byte[]> xattrs = ExtendedAttributes.Read(fd, procPath, out int errno);
                if (xattrs == null && errno != 0)
                {
                    throw ReadFailure("read the extended attributes of", path, errno);
                }

                return xattrs;
            }
            catch (DecoderFallbackException exception)
            {
                throw new MeshVolumeException(
                    $"An extended attribute name of '{path}' in '{RootPath}' is not valid " +
                    "UTF-8, so a backup could not keep it. Remove or rename the attribute.",
                    MeshErrors.FileNameNotUtf8, ErrorCategory.InvalidData, exception);
            }
        }

        private string DecodeName(byte[] name, string parentPath)
        {
            try
            {
                return LinuxFileSystem.StrictUtf8.GetString(name);
            }
            catch (DecoderFallbackException exception)
            {
                string folder = parentPath == "." ? "the volume root" : $"the folder '{parentPath}'";
                throw new MeshVolumeException(
                    $"The name '{LinuxFileSystem.EscapeBytes(name)}' in {folder} of '{RootPath}' " +
                    "is not valid UTF-8 (bytes shown as \\xNN), and a backup would have to change " +
                    "it. Rename it to UTF-8, for example with convmv, and back up again.",
                    MeshErrors.FileNameNotUtf8, ErrorCategory.InvalidData, exception);
            }
        }

        private string DecodeLinkTarget(byte[] target, string path)
        {
            try
            {
                return LinuxFileSystem.StrictUtf8.GetString(target);
            }
            catch (DecoderFallbackException exception)
            {
                throw new MeshVolumeException(
                    $"The target '{LinuxFileSystem.EscapeBytes(target)}' of the symlink '{path}' " +
                    $"in '{RootPath}' is not valid UTF-8 (bytes shown as \\xNN), and a backup " +
                    "would have to change it. Point the symlink at a UTF-8 path and back up again.",
                    MeshErrors.FileNameNotUtf8, ErrorCategory.InvalidData, exception);
            }
        }

        private MeshVolumeException ReadFailure(string action, string path, int errno)
        {
            return LinuxFileSystem.Failure(
                MeshErrors.BackupFailed, ErrorCategory.ReadError,
                $"Could not {action} '{path}' in the volume folder '{RootPath}'.", errno);
        }

        /// <summary>An open folder on the walk and the names in it still to visit.</summary>
        private sealed class DirectoryFrame
        {
            private readonly string _childPrefix;

            public DirectoryFrame(int fd, string path, string childPrefix, List<byte[]> names)
            {
                Fd = fd;
                Path = path;
                _childPrefix = childPrefix;
                Names = names;
            }

            public int Fd { get; }

            public string Path { get; }

            public List<byte[]> Names { get; }

            public int NextIndex { get; set; }

            public string ChildPath(string name) => _childPrefix + name;
        }

        /// <summary>The device and inode numbers that identify a file across its hard links.</summary>
        private readonly struct FileIdentity : IEquatable<FileIdentity>
        {
            private readonly ulong _device;
            private readonly ulong _inode;

            public FileIdentity(Statx status)
            {
                _device = ((ulong)status.DevMajor << 32) | status.DevMinor;
                _inode = status.Inode;
            }

            public bool Equals(FileIdentity other) =>
                _device == other._device && _inode == other._inode;

            public override bool Equals(object obj) => obj is FileIdentity other && Equals(other);

            public override int GetHashCode() => (_device * 31 + _inode).GetHashCode();
        }
    }
}
