using System.Management.Automation;

namespace MeshVolume.Services.HostFileSystem
{
    /// <summary>Checks and opens the root folder of a volume on this host.</summary>
    internal static class HostVolumePaths
    {
        /// <summary>
        /// Returns the path when it is absolute and this host can access volume folders
        /// directly. Raises MeshVolumeException otherwise, so the caller can use the engine's
        /// archive API instead.
        /// </summary>
        public static string ValidateRoot(string rootPath, string errorId)
        {
            if (string.IsNullOrEmpty(rootPath) || rootPath[0] != '/')
            {
                throw new MeshVolumeException(
                    $"The volume folder '{rootPath}' is not an absolute path. Pass the volume's " +
                    "Mountpoint, such as /var/lib/docker/volumes/NAME/_data.",
                    errorId, ErrorCategory.InvalidArgument);
            }

            if (!LinuxFileSystem.IsAvailable)
            {
                throw new MeshVolumeException(
                    "Reading and writing volume folders directly needs Linux on x64 or arm64 " +
                    "with /proc mounted. Use the engine's archive API on this host.",
                    errorId, ErrorCategory.NotImplemented);
            }

            return rootPath;
        }

        /// <summary>
        /// Opens the root folder. Symlinks in the root path itself are followed, because hosts
        /// often link /var/lib/docker to another disk; only names below the root are untrusted.
        /// </summary>
        public static int OpenRoot(string rootPath, string errorId)
        {
            int fd = TryOpenRoot(rootPath, out int errno);
            if (fd < 0)
            {
                throw LinuxFileSystem.Failure(
                    errorId, ErrorCategory.OpenError,
                    $"Could not open the volume folder '{rootPath}'.", errno);
            }

            return fd;
        }

        public static bool CanOpenRoot(string rootPath)
        {
            if (string.IsNullOrEmpty(rootPath) || rootPath[0] != '/' || !LinuxFileSystem.IsAvailable)
            {
                return false;
            }

            int fd = TryOpenRoot(rootPath, out _);
            LinuxFileSystem.Close(fd);
            return fd >= 0;
        }

        private static int TryOpenRoot(string rootPath, out int errno)
        {
            int flags = NativeMethods.O_RDONLY | NativeMethods.O_DIRECTORY;
            byte[] path = LinuxFileSystem.ToCString(rootPath);
            return LinuxFileSystem.OpenAt(NativeMethods.AT_FDCWD, path, flags, 0, out errno);
        }
    }
}
