using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace MeshVolume.Services.Repository
{
    /// <summary>
    /// A repository in a local or mounted folder. Object keys map to files in subfolders, and
    /// uploads go to a hidden temporary file that is renamed into place when complete.
    /// </summary>
    public sealed class FolderRepository : IBackupRepository
    {
        private const int FileBufferSize = 1024 * 1024;

        /// <summary>Opens a repository in a folder given by an absolute path.</summary>
        public FolderRepository(string path)
        {
            if (string.IsNullOrEmpty(path) || !Path.IsPathRooted(path))
            {
                throw new ArgumentException(
                    $"The repository folder '{path}' is not an absolute path.", nameof(path));
            }

            string fullPath = Path.GetFullPath(path);
            if (fullPath.Length > Path.GetPathRoot(fullPath).Length)
            {
                fullPath = fullPath.TrimEnd(
                    Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
            }

            RootPath = fullPath;
        }

        /// <summary>Full path of the repository folder.</summary>
        public string RootPath { get; }

        public string Location => RootPath;

        public Task CheckAccessAsync(CancellationToken cancellationToken)
        {
            if (File.Exists(RootPath))
            {
                throw new MeshVolumeException(
                    $"The repository '{RootPath}' is a file, not a folder. Pass a folder path " +
                    "or an s3://bucket/prefix location to -Repository.",
                    MeshErrors.RepositoryInvalid, ErrorCategory.InvalidArgument);
            }

            string probeName =
                ".access-check-" + Guid.NewGuid().ToString("N") + RepositoryKey.PartialSuffix;
            string probePath = Path.Combine(RootPath, probeName);
            RunFileOperation("check write access to", RootPath, () =>
            {
                Directory.CreateDirectory(RootPath);
                File.WriteAllBytes(probePath, Array.Empty<byte>());
                File.Delete(probePath);
            });
            return Task.CompletedTask;
        }

        public Task<RepositoryUpload> OpenUploadAsync(
            string key, CancellationToken cancellationToken)
        {
            string path = GetObjectPath(key);
            string folder = Path.GetDirectoryName(path);
            string partialPath = Path.Combine(
                folder,
                "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N").Substring(0, 12)
                    + RepositoryKey.PartialSuffix);

            FileStream file = null;
            RunFileOperation("create", path, () =>
            {
                Directory.CreateDirectory(folder);
                file = new FileStream(
                    partialPath, FileMode.CreateNew, FileAccess.Write, FileShare.None,
                    FileBufferSize);
            });
            var upload = new FolderUpload(key, path, partialPath, file);
            return Task.FromResult<RepositoryUpload>(upload);
        }

        public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
        {
            string path = GetObjectPath(key);
            Stream stream = null;
            RunFileOperation("read", path, () =>
            {
                stream = new FileStream(
                    path, FileMode.Open, FileAccess.Read, FileShare.Read, FileBufferSize,
                    FileOptions.SequentialScan);
            });
            return Task.FromResult(stream);
        }

        public async Task WriteAllBytesAsync(
            string key, byte[] content, CancellationToken cancellationToken)
        {
            using (RepositoryUpload upload = await OpenUploadAsync(key, cancellationToken)
                .ConfigureAwait(false))
            {
                await upload.WriteAsync(content, 0, content.Length, cancellationToken)
                    .ConfigureAwait(false);
                await upload.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        public Task<byte[]> ReadAllBytesAsync(string key, CancellationToken cancellationToken)
        {
            string path = GetObjectPath(key);
            byte[] content = null;
            RunFileOperation("read", path, () => content = File.ReadAllBytes(path));
            return Task.FromResult(content);
        }

        public Task<IReadOnlyList<RepositoryObject>> ListAsync(
            string prefix, CancellationToken cancellationToken)
        {
            prefix = prefix ?? string.Empty;
            RepositoryKey.ValidatePrefix(prefix);
            if (!Directory.Exists(RootPath))
            {
                throw new MeshVolumeException(
                    $"The repository folder '{RootPath}' does not exist. Check the -Repository " +
                    "path; a backup creates the folder.",
                    MeshErrors.RepositoryNotFound, ErrorCategory.ObjectNotFound);
            }

            // Only the folder named by the prefix's complete segments can hold matching files.
            int lastSlash = prefix.LastIndexOf('/');
            string startFolder = lastSlash < 0
                ? RootPath
                : Path.Combine(RootPath, ToNativePath(prefix.Substring(0, lastSlash)));
            var objects = new List<RepositoryObject>();
            if (!Directory.Exists(startFolder))
            {
                return Task.FromResult<IReadOnlyList<RepositoryObject>>(objects);
            }

            RunFileOperation("list", startFolder, () =>
            {
                var root = new DirectoryInfo(startFolder);
                foreach (FileInfo file in root.EnumerateFiles("*", SearchOption.AllDirectories))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (RepositoryKey.IsPartialName(file.Name))
                    {
                        continue;
                    }

                    string key = ToKey(file.FullName);
                    if (key.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        objects.Add(new RepositoryObject
                        {
                            Key = key,
                            Size = file.Length,
                            LastModifiedUtc = file.LastWriteTimeUtc,
                        });
                    }
                }
            });
            objects.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return Task.FromResult<IReadOnlyList<RepositoryObject>>(objects);
        }

        public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
        {
            return Task.FromResult(File.Exists(GetObjectPath(key)));
        }

        public Task DeleteAsync(string key, CancellationToken cancellationToken)
        {
            string path = GetObjectPath(key);
            if (File.Exists(path))
            {
                RunFileOperation("delete", path, () => File.Delete(path));
            }

            return Task.CompletedTask;
        }

        public void Dispose()
        {
        }

        private string GetObjectPath(string key)
        {
            RepositoryKey.Validate(key);
            return Path.Combine(RootPath, ToNativePath(key));
        }

        private static string ToNativePath(string key)
        {
            return key.Replace('/', Path.DirectorySeparatorChar);
        }

        private string ToKey(string fullPath)
        {
            return fullPath.Substring(RootPath.Length).TrimStart(Path.DirectorySeparatorChar)
                .Replace(Path.DirectorySeparatorChar, '/');
        }

        /// <summary>
        /// Runs a file system call and turns its exceptions into errors that name the path
        /// and what was being done.
        /// </summary>
        internal static void RunFileOperation(string operation, string path, Action action)
        {
            try
            {
                action();
            }
            catch (FileNotFoundException ex)
            {
                throw new MeshVolumeException(
                    $"Could not {operation} '{path}': the file does not exist.",
                    MeshErrors.RepositoryObjectNotFound, ErrorCategory.ObjectNotFound, ex);
            }
            catch (DirectoryNotFoundException ex)
            {
                throw new MeshVolumeException(
                    $"Could not {operation} '{path}': a folder in the path does not exist.",
                    MeshErrors.RepositoryObjectNotFound, ErrorCategory.ObjectNotFound, ex);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new MeshVolumeException(
                    $"Could not {operation} '{path}': access denied ({ex.Message}). Check the " +
                    "permissions of the repository folder for the current user.",
                    MeshErrors.RepositoryAccessDenied, ErrorCategory.PermissionDenied, ex);
            }
            catch (IOException ex)
            {
                throw new MeshVolumeException(
                    $"Could not {operation} '{path}': {ex.Message}",
                    MeshErrors.RepositoryAccessFailed, ErrorCategory.WriteError, ex);
            }
        }
    }
}
