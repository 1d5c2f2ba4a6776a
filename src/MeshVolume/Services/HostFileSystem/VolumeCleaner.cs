using System.Collections.Generic;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Text;

namespace MeshVolume.Services.HostFileSystem
{
    /// <summary>
    /// Empties a volume folder with unlinkat relative to open folder descriptors, so a symlink
    /// is removed itself and never followed, even one swapped in for a folder meanwhile.
    /// </summary>
    internal static class VolumeCleaner
    {
        public static void Clear(string rootPath)
        {
            int rootFd = HostVolumePaths.OpenRoot(rootPath, MeshErrors.RestoreFailed);
            var frames = new Stack<Frame>();
            frames.Push(new Frame(rootFd, null, "", ReadNames(rootFd, rootPath, ".")));
            try
            {
                while (frames.Count > 0)
                {
                    Frame frame = frames.Peek();
                    if (frame.NextIndex < frame.Names.Count)
                    {
                        byte[] name = frame.Names[frame.NextIndex++];
                        Frame child = RemoveEntry(frame, name, rootPath);
                        if (child != null)
                        {
                            frames.Push(child);
                        }

                        continue;
                    }

                    frames.Pop();
                    LinuxFileSystem.Close(frame.Fd);
                    if (frames.Count > 0)
                    {
                        RemoveFolder(frames.Peek().Fd, frame, rootPath);
                    }
                }
            }
            finally
            {
                while (frames.Count > 0)
                {
                    LinuxFileSystem.Close(frames.Pop().Fd);
                }
            }
        }

        // Removes a non-folder at once; returns the frame of a folder, to be emptied first.
        private static Frame RemoveEntry(Frame parent, byte[] name, string rootPath)
        {
            byte[] cName = LinuxFileSystem.ToCString(name);
            string path = parent.Prefix + Encoding.UTF8.GetString(name);
            int errno = 0;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                if (NativeMethods.unlinkat(parent.Fd, cName, 0) == 0)
                {
                    return null;
                }

                errno = Marshal.GetLastWin32Error();
                if (errno == NativeMethods.ENOENT)
                {
                    return null;
                }

                if (errno != NativeMethods.EISDIR)
                {
                    throw Failure("remove", path, rootPath, errno);
                }

                int fd = LinuxFileSystem.OpenDirectoryNoFollow(parent.Fd, cName, out errno);
                if (fd >= 0)
                {
                    return new Frame(fd, cName, path + "/", ReadNames(fd, rootPath, path));
                }

                // ELOOP or ENOTDIR: the folder was replaced meanwhile, so unlink again.
                if (errno != NativeMethods.ELOOP && errno != NativeMethods.ENOTDIR)
                {
                    throw Failure("open the folder", path, rootPath, errno);
                }
            }

            // Something keeps swapping a folder and a symlink at this name.
            throw Failure("remove", path, rootPath, errno);
        }

        private static void RemoveFolder(int parentFd, Frame folder, string rootPath)
        {
            if (NativeMethods.unlinkat(parentFd, folder.CName, NativeMethods.AT_REMOVEDIR) != 0)
            {
                int errno = Marshal.GetLastWin32Error();
                if (errno != NativeMethods.ENOENT)
                {
                    throw Failure("remove the folder", folder.Prefix.TrimEnd('/'), rootPath, errno);
                }
            }
        }

        private static List<byte[]> ReadNames(int fd, string rootPath, string path)
        {
            List<byte[]> names = LinuxFileSystem.ReadDirectory(fd, out int errno);
            if (names == null)
            {
                LinuxFileSystem.Close(fd);
                throw Failure("list the folder", path, rootPath, errno);
            }

            return names;
        }

        private static MeshVolumeException Failure(string action, string path, string rootPath, int errno)
        {
            return LinuxFileSystem.Failure(
                MeshErrors.RestoreFailed, ErrorCategory.WriteError,
                $"Could not {action} '{path}' while clearing the volume folder '{rootPath}'.", errno);
        }

        /// <summary>An open folder being emptied and the names in it still to remove.</summary>
        private sealed class Frame
        {
            public Frame(int fd, byte[] cName, string prefix, List<byte[]> names)
            {
                Fd = fd;
                CName = cName;
                Prefix = prefix;
                Names = names;
            }

            public int Fd { get; }

            /// <summary>Name in the parent folder as a C string; null for the root.</summary>
            public byte[] CName { get; }

            public string Prefix { get; }

            public List<byte[]> Names { get; }

            public int NextIndex { get; set; }
        }
    }
}
