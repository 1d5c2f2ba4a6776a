using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace MeshVolume.Services.HostFileSystem
{
    /// <summary>
    /// Reads and writes extended attributes, either through an open descriptor or through a
    /// "/proc/self/fd/DIR/name" path that the l-variants use without following a final symlink.
    /// </summary>
    internal static class ExtendedAttributes
    {
        /// <summary>
        /// Reads every attribute this process may read, which for root is every namespace.
        /// Returns null with errno 0 when there is none, and null with the errno on failure.
        /// </summary>
        public static Dictionary<string, byte[]> Read(int fd, byte[] path, out int errno)
        {
            byte[] list = ListNames(fd, path, out errno);
            if (list == null || list.Length == 0)
            {
                return null;
            }

            var attributes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            int start = 0;
            for (int i = 0; i < list.Length; i++)
            {
                if (list[i] != 0)
                {
                    continue;
                }

                var name = new byte[i - start + 1];
                Buffer.BlockCopy(list, start, name, 0, i - start);
                start = i + 1;
                byte[] value = GetValue(fd, path, name, out errno);
                if (errno == NativeMethods.ENODATA)
                {
                    // Removed between listing and reading.
                    continue;
                }

                if (value == null)
                {
                    return null;
                }

                // Strict decoding raises DecoderFallbackException rather than change a name.
                attributes[LinuxFileSystem.StrictUtf8.GetString(name, 0, name.Length - 1)] = value;
            }

            errno = 0;
            return attributes.Count == 0 ? null : attributes;
        }

        /// <summary>Sets one attribute, creating or replacing it; returns 0 or the errno.</summary>
        public static int Write(int fd, byte[] path, string name, byte[] value)
        {
            byte[] nameBytes = LinuxFileSystem.ToCString(name);
            byte[] data = value ?? Array.Empty<byte>();
            int result = path == null
                ? NativeMethods.fsetxattr(fd, nameBytes, data, (UIntPtr)data.Length, 0)
                : NativeMethods.lsetxattr(path, nameBytes, data, (UIntPtr)data.Length, 0);
            return result < 0 ? Marshal.GetLastWin32Error() : 0;
        }

        private static byte[] ListNames(int fd, byte[] path, out int errno)
        {
            while (true)
            {
                long size = List(fd, path, null, 0);
                if (size < 0)
                {
                    errno = Marshal.GetLastWin32Error();
                    if (!IsUnsupported(errno))
                    {
                        return null;
                    }

                    size = 0;
                }

                if (size == 0)
                {
                    errno = 0;
                    return Array.Empty<byte>();
                }

                var list = new byte[size];
                long length = List(fd, path, list, size);
                if (length >= 0)
                {
                    errno = 0;
                    if (length == size)
                    {
                        return list;
                    }

                    var shorter = new byte[length];
                    Buffer.BlockCopy(list, 0, shorter, 0, (int)length);
                    return shorter;
                }

                // ERANGE: an attribute was added after the size was read.
                errno = Marshal.GetLastWin32Error();
                if (errno != NativeMethods.ERANGE)
                {
                    return null;
                }
            }
        }

        private static byte[] GetValue(int fd, byte[] path, byte[] name, out int errno)
        {
            while (true)
            {
                long size = Get(fd, path, name, null, 0);
                if (size < 0)
                {
                    errno = Marshal.GetLastWin32Error();
                    return null;
                }

                var value = new byte[size];
                long length = size == 0 ? 0 : Get(fd, path, name, value, size);
                if (length >= 0)
                {
                    errno = 0;
                    if (length == size)
                    {
                        return value;
                    }

                    var shorter = new byte[length];
                    Buffer.BlockCopy(value, 0, shorter, 0, (int)length);
                    return shorter;
                }

                errno = Marshal.GetLastWin32Error();
                if (errno != NativeMethods.ERANGE)
                {
                    return null;
                }
            }
        }

        private static long List(int fd, byte[] path, byte[] list, long size)
        {
            return path == null
                ? (long)NativeMethods.flistxattr(fd, list, (UIntPtr)size)
                : (long)NativeMethods.llistxattr(path, list, (UIntPtr)size);
        }

        private static long Get(int fd, byte[] path, byte[] name, byte[] value, long size)
        {
            return path == null
                ? (long)NativeMethods.fgetxattr(fd, name, value, (UIntPtr)size)
                : (long)NativeMethods.lgetxattr(path, name, value, (UIntPtr)size);
        }

        /// <summary>True for the errno of a file system or file type without attributes.</summary>
        public static bool IsUnsupported(int errno)
        {
            return errno == NativeMethods.EOPNOTSUPP;
        }
    }
}
