using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;
using MeshVolume.Services.Archive;
using MeshVolume.Services.Backup;
using MeshVolume.Services.Verification;

namespace MeshVolume.Services.Persistence
{
    /// <summary>
    /// A file of random bytes at the root of a volume, written and read through a container's
    /// archive API, which needs no program in the container and so works with any image.
    /// </summary>
    public sealed class SentinelFile
    {
        public const int Size = 4096;

        private const int PermissionsReadWrite = 420; // 0644

        public SentinelFile()
        {
            Name = ".meshvolume-sentinel-" + ScratchVolume.RandomHex(8);
            Content = new byte[Size];
            using (var generator = RandomNumberGenerator.Create())
            {
                generator.GetBytes(Content);
            }
        }

        /// <summary>
        /// File name at the volume root, such as .meshvolume-sentinel-0123456789abcdef.
        /// </summary>
        public string Name { get; }

        public byte[] Content { get; }

        /// <summary>
        /// Path of the file inside a container that mounts the volume at mountPath.
        /// </summary>
        public string PathIn(string mountPath) => mountPath.TrimEnd('/') + "/" + Name;

        /// <summary>
        /// Writes the file into the volume mounted at mountPath in the container.
        /// </summary>
        public async Task WriteAsync(
            DockerEngine engine, string containerId, string mountPath,
            CancellationToken cancellationToken)
        {
            var tar = new MemoryStream();
            using (var writer = new TarArchiveWriter(tar, leaveOpen: true))
            {
                var entry = new ArchiveEntry
                {
                    Path = Name,
                    Type = EntryType.File,
                    Size = Size,
                    Mode = PermissionsReadWrite,
                    MtimeNanoseconds = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000L,
                };
                await writer.WriteEntryAsync(entry, new MemoryStream(Content), cancellationToken)
                    .ConfigureAwait(false);
                await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
            }

            tar.Position = 0;
            var parameters = new CopyToContainerParameters
            {
                Path = mountPath,
                AllowOverwriteDirWithFile = false,
            };
            await engine.Client.Containers.ExtractArchiveToContainerAsync(
                containerId, parameters, tar, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// Reads the file back from the volume mounted at mountPath in the container, or
        /// returns null when it is missing.
        /// </summary>
        /// <exception cref="PersistenceStepException">The path is not a regular file.</exception>
        public async Task<byte[]> ReadAsync(
            DockerEngine engine, string containerId, string mountPath,
            CancellationToken cancellationToken)
        {
            var parameters = new ContainerPathStatParameters { Path = PathIn(mountPath) };
            ContainerArchiveResponse response;
            try
            {
                response = await engine.Client.Containers.GetArchiveFromContainerAsync(
                    containerId, parameters, false, cancellationToken).ConfigureAwait(false);
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            using (var reader = new TarArchiveReader(new SynchronousReadStream(response.Stream)))
            {
                ArchiveEntry entry = await reader.ReadNextEntryAsync(cancellationToken)
                    .ConfigureAwait(false);
                if (entry == null || entry.Type != EntryType.File)
                {
                    throw new PersistenceStepException(
                        $"{PathIn(mountPath)} is not the sentinel file any more: the engine " +
                        "returned " + (entry == null ? "an empty archive"
                            : "a " + EntryTypes.ToName(entry.Type)) + ".");
                }

                // One byte more than expected is enough to tell that the file grew.
                var buffer = new byte[Size + 1];
                int length = 0;
                int read;
                while (length < buffer.Length &&
                    (read = await reader.Content.ReadAsync(buffer, length, buffer.Length - length,
                        cancellationToken).ConfigureAwait(false)) > 0)
                {
                    length += read;
                }

                return buffer.Take(length).ToArray();
            }
        }

        /// <summary>
        /// Returns null when the content read back is the sentinel's, else what differs.
        /// </summary>
        public string Describe(byte[] found)
        {
            if (found == null)
            {
                return "is missing";
            }

            if (found.Length != Size)
            {
                return $"has {found.Length}{(found.Length > Size ? " or more" : "")} bytes " +
                    $"instead of {Size}";
            }

            return found.SequenceEqual(Content) ? null : "has other content than was written";
        }

        /// <summary>
        /// Removes the file from the volume: from the volume's folder on this host where the
        /// engine is local, else with rm in a running container that mounts the volume at
        /// mountPath (containerId may be null). Returns null, or why it is still there.
        /// </summary>
        public async Task<string> TryRemoveAsync(
            DockerEngine engine, string volumeName, string containerId, string mountPath)
        {
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                try
                {
                    VolumeResponse volume = await new VolumeService(engine)
                        .TryInspectAsync(volumeName, timeout.Token).ConfigureAwait(false);
                    if (volume == null)
                    {
                        return null;
                    }

                    if (VolumePaths.CanUseHostPath(engine, volume))
                    {
                        // The name has no '/', and unlink removes a symlink put in its place
                        // rather than what it points to.
                        File.Delete(Path.Combine(volume.Mountpoint, Name));
                        return null;
                    }

                    if (containerId == null)
                    {
                        return "no running container mounts the volume, and its folder is not " +
                            "reachable from this host.";
                    }

                    return await ContainerStates.ExecAsync(
                        engine, containerId, new[] { "rm", "-f", "--", PathIn(mountPath) },
                        timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException ||
                    ex is DockerApiException || ex is OperationCanceledException)
                {
                    return ex.GetBaseException().Message;
                }
            }
        }
    }
}
