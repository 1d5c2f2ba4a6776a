using System;
using System.Runtime.InteropServices;

namespace MeshVolume.Services.HostFileSystem
{
    /// <summary>
    /// Linux system calls through the C library, for 64-bit x86 and ARM. Every call that
    /// fails returns -1 and leaves errno for Marshal.GetLastWin32Error.
    /// </summary>
    internal static class NativeMethods
    {
        private const string LibC = "libc";

        // open(2) flags that are the same on x86_64 and arm64.
        public const int O_RDONLY = 0x0;
        public const int O_WRONLY = 0x1;
        public const int O_CREAT = 0x40;
        public const int O_EXCL = 0x80;
        public const int O_NOCTTY = 0x100;
        public const int O_NOATIME = 0x40000;
        public const int O_CLOEXEC = 0x80000;
        public const int O_PATH = 0x200000;

        public const int AT_FDCWD = -100;
        public const int AT_SYMLINK_NOFOLLOW = 0x100;
        public const int AT_REMOVEDIR = 0x200;
        public const int AT_EMPTY_PATH = 0x1000;

        public const int SEEK_DATA = 3;
        public const int SEEK_HOLE = 4;

        public const int POSIX_FADV_SEQUENTIAL = 2;

        public const uint S_IFMT = 0xF000;
        public const uint S_IFIFO = 0x1000;
        public const uint S_IFCHR = 0x2000;
        public const uint S_IFDIR = 0x4000;
        public const uint S_IFBLK = 0x6000;
        public const uint S_IFREG = 0x8000;
        public const uint S_IFLNK = 0xA000;
        public const uint S_IFSOCK = 0xC000;

        // STATX_BASIC_STATS: type, mode, nlink, uid, gid, atime, mtime, ctime, ino, size, blocks.
        public const uint STATX_BASIC_STATS = 0x7FF;

        // utimensat(2): leave the access time as it is.
        public const long UTIME_OMIT = (1L << 30) - 2;

        // errno values, the same on x86_64 and arm64.
        public const int EPERM = 1;
        public const int ENOENT = 2;
        public const int EINTR = 4;
        public const int ENXIO = 6;
        public const int EEXIST = 17;
        public const int ENOTDIR = 20;
        public const int EISDIR = 21;
        public const int ERANGE = 34;
        public const int ELOOP = 40;
        public const int ENODATA = 61;
        public const int EOPNOTSUPP = 95;

        static NativeMethods()
        {
            // O_DIRECTORY and O_NOFOLLOW are the only flags used here whose values differ:
            // arm64 takes them from the asm-generic ARM list, x86_64 from the generic one.
            switch (RuntimeInformation.ProcessArchitecture)
            {
                case Architecture.X64:
                    IsSupportedArchitecture = true;
                    O_DIRECTORY = 0x10000;
                    O_NOFOLLOW = 0x20000;
                    SyscallStatx = 332;
                    SyscallGetdents64 = 217;
                    SyscallMknodat = 259;
                    break;
                case Architecture.Arm64:
                    IsSupportedArchitecture = true;
                    O_DIRECTORY = 0x4000;
                    O_NOFOLLOW = 0x8000;
                    SyscallStatx = 291;
                    SyscallGetdents64 = 61;
                    SyscallMknodat = 33;
                    break;
                default:
                    IsSupportedArchitecture = false;
                    break;
            }
        }

        /// <summary>True on 64-bit x86 and ARM, the processors whose constants this class has.</summary>
        public static bool IsSupportedArchitecture { get; }

        public static int O_DIRECTORY { get; }

        public static int O_NOFOLLOW { get; }

        // System call numbers, used only when the C library lacks the wrapper (glibc before
        // 2.28 for statx, 2.30 for getdents64, 2.33 for mknodat, and some musl releases).
        private static long SyscallStatx { get; }

        private static long SyscallGetdents64 { get; }

        private static long SyscallMknodat { get; }

        private static bool s_statxMissing;
        private static bool s_getdentsMissing;
        private static bool s_mknodatMissing;

        [DllImport(LibC, SetLastError = true)]
        public static extern int openat(int dirfd, byte[] path, int flags, uint mode);

        [DllImport(LibC, SetLastError = true)]
        public static extern int close(int fd);

        [DllImport(LibC, SetLastError = true)]
        public static extern IntPtr pread(int fd, ref byte buffer, UIntPtr count, long offset);

        [DllImport(LibC, SetLastError = true)]
        public static extern IntPtr pwrite(int fd, ref byte buffer, UIntPtr count, long offset);

        [DllImport(LibC, SetLastError = true)]
        public static extern long lseek(int fd, long offset, int whence);

        [DllImport(LibC, SetLastError = true)]
        public static extern int ftruncate(int fd, long length);

        [DllImport(LibC)]
        public static extern int posix_fadvise(int fd, long offset, long length, int advice);

        [DllImport(LibC, SetLastError = true)]
        public static extern IntPtr readlinkat(int dirfd, byte[] path, byte[] buffer, UIntPtr size);

        [DllImport(LibC, SetLastError = true)]
        public static extern IntPtr flistxattr(int fd, byte[] list, UIntPtr size);

        [DllImport(LibC, SetLastError = true)]
        public static extern IntPtr llistxattr(byte[] path, byte[] list, UIntPtr size);

        [DllImport(LibC, SetLastError = true)]
        public static extern IntPtr fgetxattr(int fd, byte[] name, byte[] value, UIntPtr size);

        [DllImport(LibC, SetLastError = true)]
        public static extern IntPtr lgetxattr(byte[] path, byte[] name, byte[] value, UIntPtr size);

        [DllImport(LibC, SetLastError = true)]
        public static extern int fsetxattr(int fd, byte[] name, byte[] value, UIntPtr size, int flags);

        [DllImport(LibC, SetLastError = true)]
        public static extern int lsetxattr(
            byte[] path, byte[] name, byte[] value, UIntPtr size, int flags);

        [DllImport(LibC, SetLastError = true)]
        public static extern int mkdirat(int dirfd, byte[] path, uint mode);

        [DllImport(LibC, SetLastError = true)]
        public static extern int symlinkat(byte[] target, int dirfd, byte[] path);

        [DllImport(LibC, SetLastError = true)]
        public static extern int linkat(
            int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, int flags);

        [DllImport(LibC, SetLastError = true)]
        public static extern int unlinkat(int dirfd, byte[] path, int flags);

        [DllImport(LibC, SetLastError = true)]
        public static extern int fchownat(int dirfd, byte[] path, uint uid, uint gid, int flags);

        [DllImport(LibC, SetLastError = true)]
        public static extern int fchown(int fd, uint uid, uint gid);

        [DllImport(LibC, SetLastError = true)]
        public static extern int fchmod(int fd, uint mode);

        [DllImport(LibC, SetLastError = true)]
        public static extern int fchmodat(int dirfd, byte[] path, uint mode, int flags);

        [DllImport(LibC, SetLastError = true)]
        public static extern int utimensat(int dirfd, byte[] path, Timespec[] times, int flags);

        [DllImport(LibC, SetLastError = true)]
        public static extern int futimens(int fd, Timespec[] times);

        [DllImport(LibC, SetLastError = true)]
        public static extern int syncfs(int fd);

        [DllImport(LibC)]
        public static extern uint geteuid();

        [DllImport(LibC, EntryPoint = "statx", SetLastError = true)]
        private static extern int statx_libc(
            int dirfd, byte[] path, int flags, uint mask, out Statx buffer);

        [DllImport(LibC, EntryPoint = "getdents64", SetLastError = true)]
        private static extern IntPtr getdents64_libc(int fd, byte[] buffer, UIntPtr count);

        [DllImport(LibC, EntryPoint = "mknodat", SetLastError = true)]
        private static extern int mknodat_libc(int dirfd, byte[] path, uint mode, ulong device);

        [DllImport(LibC, EntryPoint = "syscall", SetLastError = true)]
        private static extern long syscall_statx(
            long number, long dirfd, byte[] path, long flags, long mask, out Statx buffer);

        [DllImport(LibC, EntryPoint = "syscall", SetLastError = true)]
        private static extern long syscall_getdents64(
            long number, long fd, byte[] buffer, long count);

        [DllImport(LibC, EntryPoint = "syscall", SetLastError = true)]
        private static extern long syscall_mknodat(
            long number, long dirfd, byte[] path, long mode, long device);

        public static int statx(int dirfd, byte[] path, int flags, uint mask, out Statx buffer)
        {
            if (!s_statxMissing)
            {
                try
                {
                    return statx_libc(dirfd, path, flags, mask, out buffer);
                }
                catch (EntryPointNotFoundException)
                {
                    s_statxMissing = true;
                }
            }

            return (int)syscall_statx(SyscallStatx, dirfd, path, flags, mask, out buffer);
        }

        public static long getdents64(int fd, byte[] buffer)
        {
            if (!s_getdentsMissing)
            {
                try
                {
                    return (long)getdents64_libc(fd, buffer, (UIntPtr)buffer.Length);
                }
                catch (EntryPointNotFoundException)
                {
                    s_getdentsMissing = true;
                }
            }

            return syscall_getdents64(SyscallGetdents64, fd, buffer, buffer.Length);
        }

        public static int mknodat(int dirfd, byte[] path, uint mode, ulong device)
        {
            if (!s_mknodatMissing)
            {
                try
                {
                    return mknodat_libc(dirfd, path, mode, device);
                }
                catch (EntryPointNotFoundException)
                {
                    s_mknodatMissing = true;
                }
            }

            return (int)syscall_mknodat(SyscallMknodat, dirfd, path, mode, (long)device);
        }

        /// <summary>Combines device numbers the way glibc's makedev does for a 64-bit dev_t.</summary>
        public static ulong MakeDevice(uint major, uint minor)
        {
            ulong device = ((ulong)(major & 0xFFFFF000u) << 32) | ((ulong)(major & 0xFFFu) << 8);
            device |= ((ulong)(minor & 0xFFFFFF00u) << 12) | (minor & 0xFFu);
            return device;
        }
    }

    /// <summary>struct timespec of a 64-bit Linux process.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>
    /// struct statx from linux/stat.h: 256 bytes with the same layout on every architecture,
    /// unlike struct stat.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct Statx
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(4)] public uint BlockSize;
        [FieldOffset(16)] public uint LinkCount;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(48)] public ulong Blocks;
        [FieldOffset(112)] public long MtimeSeconds;
        [FieldOffset(120)] public uint MtimeNanoseconds;
        [FieldOffset(128)] public uint RdevMajor;
        [FieldOffset(132)] public uint RdevMinor;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;

        public uint FileType => Mode & NativeMethods.S_IFMT;
    }
}
