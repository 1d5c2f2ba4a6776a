using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace MeshVolume.Services.Throughput
{
    /// <summary>
    /// A container that runs one shell script with one mount, without network and without a
    /// log driver. Its output goes to a file in its own file system, which
    /// <see cref="ReadFileAsync"/> reads through the archive API after it exits, because the
    /// engine keeps no logs with the log driver none. <see cref="DisposeAsync"/> removes it.
    /// </summary>
    public sealed class ProbeContainer
    {
        // The log contains a few lines per run, so anything larger is not the expected file.
        private const int MaximumFileBytes = 1024 * 1024;

        private readonly DockerEngine _engine;

        private ProbeContainer(DockerEngine engine, string id, string image)
        {
            _engine = engine;
            Id = id;
            Image = image;
        }

        public string Id { get; }

        public string Image { get; }

        /// <summary>
        /// True once the container may have run: from the start request on, unless the engine
        /// rejected that request.
        /// </summary>
        public bool Started { get; private set; }

        /// <summary>
        /// Creates a container from the image that runs the script with /bin/sh as root, with the
        /// mount and the labels given.
        /// </summary>
        public static async Task<ProbeContainer> CreateAsync(
            DockerEngine engine, string image, string script, Mount mount,
            IDictionary<string, string> labels, CancellationToken cancellationToken)
        {
            var parameters = new CreateContainerParameters
            {
                Image = image,
                Entrypoint = new List<string> { "/bin/sh", "-c" },
                Cmd = new List<string> { script },

                // Root, so that the script can write to a volume whatever user the image names.
                User = "0",
                Labels = new Dictionary<string, string>(labels),
                NetworkDisabled = true,
                HostConfig = new HostConfig
                {
                    NetworkMode = "none",
                    LogConfig = new LogConfig { Type = "none" },
                    Mounts = new List<Mount> { mount },
                },
            };
            try
            {
                CreateContainerResponse created = await engine.Client.Containers
                    .CreateContainerAsync(parameters, cancellationToken).ConfigureAwait(false);
                return new ProbeContainer(engine, created.ID, image);
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                throw new MeshVolumeException(
                    $"The engine at {engine.Name} could not create a container from the image " +
                    $"'{image}': {VolumeService.EngineMessage(ex)}",
                    MeshErrors.ImageNotFound, ErrorCategory.ObjectNotFound, ex);
            }
            catch (DockerApiException ex)
            {
                throw new MeshVolumeException(
                    $"The engine at {engine.Name} could not create a container from the image " +
                    $"'{image}' with the {mount.Type} mount: {VolumeService.EngineMessage(ex)}",
                    MeshErrors.EngineRequestFailed, ErrorCategory.InvalidOperation, ex);
            }
        }

        /// <summary>Starts the container and waits until it exits; returns its exit code.</summary>
        public async Task<long> RunAsync(CancellationToken cancellationToken)
        {
            Started = true;
            try
            {
                await _engine.Client.Containers.StartContainerAsync(
                    Id, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            }
            catch (DockerApiException ex)
            {
                Started = false;
                throw new MeshVolumeException(
                    $"The engine could not start a container from the image '{Image}': " +
                    $"{VolumeService.EngineMessage(ex)}. The image needs /bin/sh, dd and rm, " +
                    "for example busybox.",
                    MeshErrors.MeasurementFailed, ErrorCategory.InvalidOperation, ex);
            }

            ContainerWaitResponse exit = await _engine.Client.Containers
                .WaitContainerAsync(Id, cancellationToken).ConfigureAwait(false);
            return exit.StatusCode;
        }

        /// <summary>
        /// Reads a text file from the container's file system; null when the file does not exist.
        /// </summary>
        public async Task<string> ReadFileAsync(string path, CancellationToken cancellationToken)
        {
            ContainerArchiveResponse archive;
            try
            {
                archive = await _engine.Client.Containers.GetArchiveFromContainerAsync(
                    Id, new ContainerPathStatParameters { Path = path }, false, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            using (Stream tar = archive.Stream)
            {
                byte[] content = await ReadFirstFileAsync(tar, cancellationToken)
                    .ConfigureAwait(false);
                return content == null ? null : Encoding.UTF8.GetString(content);
            }
        }

        /// <summary>
        /// Removes the container and returns false when that failed. It reports failures
        /// instead of throwing, because it runs in cleanup paths.
        /// </summary>
        public async Task<bool> DisposeAsync(Action<string> report)
        {
            try
            {
                // Not the caller's token: after Ctrl+C the container must still go.
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                {
                    await _engine.Client.Containers.RemoveContainerAsync(
                        Id, new ContainerRemoveParameters { Force = true }, timeout.Token)
                        .ConfigureAwait(false);
                }

                return true;
            }
            catch (Exception ex)
            {
                report?.Invoke($"The container {Id} could not be removed: " +
                    $"{ex.GetBaseException().Message}. Remove it with 'docker rm -f {Id}'.");
                return false;
            }
        }

        // Returns the content of the first regular file in a tar stream and skips the pax and
        // GNU long-name entries that may come before it. The ustar header (POSIX.1-1988) keeps
        // the size in octal at offset 124 and the type flag at 156, in 512-byte blocks.
        private static async Task<byte[]> ReadFirstFileAsync(
            Stream tar, CancellationToken cancellationToken)
        {
            var header = new byte[512];
            while (await ReadBlockAsync(tar, header, header.Length, cancellationToken)
                .ConfigureAwait(false))
            {
                if (Array.TrueForAll(header, b => b == 0))
                {
                    return null;
                }

                long size = ParseOctal(header, 124, 12);
                if (size < 0 || size > MaximumFileBytes)
                {
                    throw new MeshVolumeException(
                        $"The engine returned an archive entry of {size} bytes where a small " +
                        "log file was expected.", MeshErrors.MeasurementFailed,
                        ErrorCategory.InvalidData);
                }

                var content = new byte[(size + 511) / 512 * 512];
                if (!await ReadBlockAsync(tar, content, content.Length, cancellationToken)
                    .ConfigureAwait(false))
                {
                    return null;
                }

                byte type = header[156];
                if (type == (byte)'0' || type == 0)
                {
                    var file = new byte[size];
                    Array.Copy(content, file, size);
                    return file;
                }
            }

            return null;
        }

        private static async Task<bool> ReadBlockAsync(
            Stream stream, byte[] buffer, int count, CancellationToken cancellationToken)
        {
            int offset = 0;
            while (offset < count)
            {
                int read = await stream.ReadAsync(buffer, offset, count - offset, cancellationToken)
                    .ConfigureAwait(false);
                if (read == 0)
                {
                    return false;
                }

                offset += read;
            }

            return true;
        }

        // Returns -1 for a field that is not plain octal, such as GNU base-256 sizes.
        private static long ParseOctal(byte[] buffer, int offset, int length)
        {
            int end = offset + length;
            int i = offset;
            while (i < end && buffer[i] == (byte)' ')
            {
                i++;
            }

            long value = 0;
            for (; i < end && buffer[i] >= (byte)'0' && buffer[i] <= (byte)'7'; i++)
            {
                value = value * 8 + (buffer[i] - (byte)'0');
            }

            bool terminated = i == end || buffer[i] == 0 || buffer[i] == (byte)' ';
            return terminated ? value : -1;
        }
    }
}
