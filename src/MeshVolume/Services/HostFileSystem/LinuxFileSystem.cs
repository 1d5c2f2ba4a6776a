using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text;

namespace MeshVolume.Services.HostFileSystem
{
    /// <summary>
    /// Wrappers around the system calls that the host volume reader and writer share: they
    /// retry on EINTR, turn names into C strings and failures into MeshVolumeException.
    /// </summary>
    internal static class LinuxFileSystem
    {
        /// <summary>The empty C string, for AT_EMPTY_PATH calls on a descriptor.</summary>
        public static readonly byte[] EmptyPath = { 0 };

        private static readonly byte[] DotPath = { (byte)'.', 0 };

        /// <summary>Strict UTF-8: a name that is not valid UTF-8 raises instead of changing.</summary>
        public static readonly Encoding StrictUtf8 = new UTF8Encoding(false, true);

        /// <summary>
        /// True when this process runs on Linux on a processor whose system call constants this
        /// module has, and /proc shows this process's descriptors.
        /// </summary>
        public static bool IsAvailable =>
            RuntimeInformation.IsOSPlatform(OSPlatform.Linux) &&
            NativeMethods.IsSupportedArchitecture &&
            Directory.Exists("/proc/self/fd");

        /// <summary>Returns the bytes followed by a NUL, as the C library takes a path.</summary>
        public static byte[] ToCString(byte[] bytes)
        {
            var result = new byte[bytes.Length + 1];
            Buffer.BlockCopy(bytes, 0, result, 0, bytes.Length);
            return result;
        }

        public static byte[] ToCString(string text)
        {
            return ToCString(Encoding.UTF8.GetBytes(text));
        }

        /// <summary>
        /// Returns "/proc/self/fd/N" or "/proc/self/fd/N/name" as a C string. The kernel resolves
        /// /proc/self/fd/N to the open file itself, never by looking its path up again.
        /// </summary>
        public static byte[] ProcFdPath(int fd, byte[] name = null)
        {
            string prefix = "/proc/self/fd/" + fd.ToString(System.Globalization.CultureInfo.InvariantCulture);
            byte[] prefixBytes = Encoding.ASCII.GetBytes(prefix);
            if (name == null)
            {
                return ToCString(prefixBytes);
            }

            var path = new byte[prefixBytes.Length + 1 + name.Length + 1];
            Buffer.BlockCopy(prefixBytes, 0, path, 0, prefixBytes.Length);
            path[prefixBytes.Length] = (byte)'/';
            Buffer.BlockCopy(name, 0, path, prefixBytes.Length + 1, name.Length);
            return path;
        }

        /// <summary>Opens a path; returns the descriptor, or -1 with the errno.</summary>
        public static int OpenAt(int dirFd, byte[] path, int flags, uint mode, out int errno)
        {
            while (true)
            {
                int fd = NativeMethods.openat(dirFd, path, flags | NativeMethods.O_CLOEXEC, mode);
                errno = fd < 0 ? Marshal.GetLastWin32Error() : 0;
                if (errno != NativeMethods.EINTR)
                {
                    return fd;
                }
            }
        }

        /// <summary>Opens a directory below dirFd without following a symlink at that name.</summary>
        public static int OpenDirectoryNoFollow(int dirFd, byte[] name, out int errno)
        {
            int flags = NativeMethods.O_RDONLY | NativeMethods.O_DIRECTORY | NativeMethods.O_NOFOLLOW;
            return OpenAt(dirFd, name, flags, 0, out errno);
        }

        /// <summary>Opens the directory an O_PATH descriptor refers to, for reading its names.</summary>
        public static int OpenDirectoryOfPath(int pathFd, out int errno)
        {
            int flags = NativeMethods.O_RDONLY | NativeMethods.O_DIRECTORY | NativeMethods.O_NOFOLLOW;
            return OpenAt(pathFd, DotPath, flags, 0, out errno);
        }

        public static void Close(int fd)
        {
            if (fd >= 0)
            {
                NativeMethods.close(fd);
            }
        }

        /// <summary>Reads the status of an open descriptor; returns 0 or the errno.</summary>
        public static int StatDescriptor(int fd, out Statx status)
        {
            int flags = NativeMethods.AT_EMPTY_PATH | NativeMethods.AT_SYMLINK_NOFOLLOW;
            return StatAt(fd, EmptyPath, flags, out status);
        }

        /// <summary>Reads the status of a name below dirFd; returns 0 or the errno.</summary>
        public static int StatAt(int dirFd, byte[] path, int flags, out Statx status)
        {
            while (true)
            {
                int result = NativeMethods.statx(
                    dirFd, path, flags, NativeMethods.STATX_BASIC_STATS, out status);
                int errno = result < 0 ? Marshal.GetLastWin32Error() : 0;
                if (errno != NativeMethods.EINTR)
                {
                    return errno;
                }
            }
        }

        /// <summary>
        /// Reads every name of an open directory except "." and "..", sorted by their bytes,
        /// which is also the order of their Unicode code points.
        /// </summary>
        public static List<byte[]> ReadDirectory(int dirFd, out int errno)
        {
            var names = new List<byte[]>();
            var buffer = new byte[64 * 1024];
            errno = 0;
            while (true)
            {
                long count = NativeMethods.getdents64(dirFd, buffer);
                if (count < 0)
                {
                    errno = Marshal.GetLastWin32Error();
                    if (errno == NativeMethods.EINTR)
                    {
                        continue;
                    }

                    return null;
                }

                if (count == 0)
                {
                    break;
                }

                AddDirectoryRecords(buffer, (int)count, names);
            }

            names.Sort((left, right) => CompareBytes(left, right));
            return names;
        }

        // struct linux_dirent64: d_ino (8 bytes), d_off (8), d_reclen (2), d_type (1), d_name.
        private static void AddDirectoryRecords(byte[] buffer, int count, List<byte[]> names)
        {
            int offset = 0;
            while (offset < count)
            {
                int recordLength = BitConverter.ToUInt16(buffer, offset + 16);
                int nameStart = offset + 19;
                int nameEnd = Array.IndexOf(buffer, (byte)0, nameStart, offset + recordLength - nameStart);
                int nameLength = nameEnd - nameStart;
                bool isDot = nameLength == 1 && buffer[nameStart] == (byte)'.';
                bool isDotDot = nameLength == 2 && buffer[nameStart] == (byte)'.' &&
                    buffer[nameStart + 1] == (byte)'.';
                if (!isDot && !isDotDot)
                {
                    var name = new byte[nameLength];
                    Buffer.BlockCopy(buffer, nameStart, name, 0, nameLength);
                    names.Add(name);
                }

                offset += recordLength;
            }
        }

        public static int CompareBytes(byte[] left, byte[] right)
        {
            int length = Math.Min(left.Length, right.Length);
            for (int i = 0; i < length; i++)
            {
                if (left[i] != right[i])
                {
                    return left[i].CompareTo(right[i]);
                }
            }

            return left.Length.CompareTo(right.Length);
        }

        /// <summary>Reads a symlink's target bytes; returns null with the errno on failure.</summary>
        public static byte[] ReadLink(int dirFd, byte[] path, out int errno)
        {
            int size = 256;
            while (true)
            {
                var buffer = new byte[size];
                long length = (long)NativeMethods.readlinkat(dirFd, path, buffer, (UIntPtr)size);
                if (length < 0)
                {
                    errno = Marshal.GetLastWin32Error();
                    return null;
                }

                // A full buffer may mean a cut target, so read again with a larger one.
                if (length < size)
                {
                    errno = 0;
                    var target = new byte[length];
                    Buffer.BlockCopy(buffer, 0, target, 0, (int)length);
                    return target;
                }

                size *= 4;
            }
        }

        /// <summary>Describes an errno in the words of the C library, such as "Permission denied".</summary>
        public static string Describe(int errno)
        {
            return new Win32Exception(errno).Message;
        }

        /// <summary>Builds the exception for a failed system call; the message names the item.</summary>
        public static MeshVolumeException Failure(
            string errorId, ErrorCategory category, string message, int errno)
        {
            return new MeshVolumeException(
                message + " " + Describe(errno) + ".", errorId, category, new Win32Exception(errno));
        }

        /// <summary>Shows name bytes with every byte that is not printable ASCII as \xNN.</summary>
        public static string EscapeBytes(byte[] bytes)
        {
            var text = new StringBuilder(bytes.Length);
            foreach (byte value in bytes)
            {
                if (value >= 0x20 && value < 0x7F && value != (byte)'\\')
                {
                    text.Append((char)value);
                }
                else
                {
                    text.Append("\\x").Append(value.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            return text.ToString();
        }

        /// <summary>Splits a time in nanoseconds since 1970 into a timespec, rounding down.</summary>
        public static Timespec ToTimespec(long nanoseconds)
        {
            long seconds = nanoseconds / 1_000_000_000L;
            long remainder = nanoseconds % 1_000_000_000L;
            if (remainder < 0)
            {
                seconds -= 1;
                remainder += 1_000_000_000L;
            }

            return new Timespec { Seconds = seconds, Nanoseconds = remainder };
        }
    }
}
