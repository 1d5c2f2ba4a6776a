using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;
using MeshVolume.Services.Archive;

namespace MeshVolume.Services
{
    /// <summary>
    /// A container that is created with a volume mounted and never started: the engine's
    /// archive API reads and writes the volume through it. It has no network and carries the
    /// module's label; <see cref="DisposeAsync"/> removes it.
    /// </summary>
    public sealed class HelperContainer
    {
        public const string ImageName = "meshvolume/helper:1";
        public const string Label = "meshvolume.helper";
        public const string MountPath = "/volume";

        private readonly DockerEngine _engine;

        private HelperContainer(DockerEngine engine, string id, string volumeName)
        {
            _engine = engine;
            Id = id;
            VolumeName = volumeName;
        }

        public string Id { get; }

        public string VolumeName { get; }

        /// <summary>Creates a helper container with the volume mounted at /volume.</summary>
        public static async Task<HelperContainer> CreateAsync(
            DockerEngine engine, string volumeName, bool readOnly,
            CancellationToken cancellationToken)
        {
            await EnsureImageAsync(engine, cancellationToken).ConfigureAwait(false);
            var parameters = new CreateContainerParameters
            {
                // A recognisable name, so a helper left by a killed process is easy to spot
                // in 'docker ps -a' and in errors that list a volume's containers.
                Name = "meshvolume-helper-" + Guid.NewGuid().ToString("N").Substring(0, 12),
                Image = ImageName,
                Cmd = new List<string> { "/meshvolume-helper" },
                Labels = new Dictionary<string, string>
                {
                    [Label] = "1",
                    ["meshvolume.volume"] = volumeName,
                },
                NetworkDisabled = true,
                HostConfig = new HostConfig
                {
                    NetworkMode = "none",
                    Binds = new List<string>
                    {
                        volumeName + ":" + MountPath + (readOnly ? ":ro" : ":rw"),
                    },
                },
            };
            CreateContainerResponse created = await engine.Client.Containers
                .CreateContainerAsync(parameters, cancellationToken).ConfigureAwait(false);
            return new HelperContainer(engine, created.ID, volumeName);
        }

        /// <summary>Streams the volume's contents as a tar whose entries start with "./".</summary>
        public async Task<Stream> GetArchiveAsync(CancellationToken cancellationToken)
        {
            var parameters = new ContainerPathStatParameters { Path = MountPath + "/." };
            ContainerArchiveResponse response = await _engine.Client.Containers
                .GetArchiveFromContainerAsync(Id, parameters, false, cancellationToken)
                .ConfigureAwait(false);
            return new SynchronousReadStream(response.Stream);
        }

        /// <summary>
        /// Extracts a tar stream at a folder of the container (the volume is at /volume),
        /// keeping the owners the tar records.
        /// </summary>
        public Task ExtractArchiveAsync(Stream tar, string folder, CancellationToken cancellationToken)
        {
            var parameters = new CopyToContainerParameters
            {
                Path = folder,
                CopyUIDGID = true,
                AllowOverwriteDirWithFile = false,
            };
            return _engine.Client.Containers.ExtractArchiveToContainerAsync(
                Id, parameters, tar, cancellationToken);
        }

        /// <summary>Removes the container; never throws, because it runs in cleanup paths.</summary>
        public async Task DisposeAsync()
        {
            try
            {
                // Not the caller's token: a cancelled backup must still clean up.
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                {
                    await _engine.Client.Containers.RemoveContainerAsync(
                        Id, new ContainerRemoveParameters { Force = true }, timeout.Token)
                        .ConfigureAwait(false);
                }
            }
            catch (Exception)
            {
                // NOTE: a helper left behind is named meshvolume-helper-* and carries the
                // meshvolume.helper label. It contains no data; nothing removes it automatically,
                // so it stays until someone runs 'docker rm -f' on it.
            }
        }

        // The helper image contains one text file: the container is never started, so it needs no
        // program, and making it locally means nothing is ever pulled from a registry.
        private static async Task EnsureImageAsync(
            DockerEngine engine, CancellationToken cancellationToken)
        {
            try
            {
                await engine.Client.Images.InspectImageAsync(ImageName, cancellationToken)
                    .ConfigureAwait(false);
                return;
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
            }

            byte[] rootfs = await BuildRootfsTarAsync(cancellationToken).ConfigureAwait(false);
            var parameters = new ImagesCreateParameters
            {
                FromSrc = "-",
                Repo = ImageName.Split(':')[0],
                Tag = ImageName.Split(':')[1],
                Message = "MeshVolume helper: mounts a volume for the archive API, never runs",
            };
            using (var stream = new MemoryStream(rootfs))
            {
                await engine.Client.Images.CreateImageAsync(
                    parameters, stream, null, new Progress<JSONMessage>(), cancellationToken)
                    .ConfigureAwait(false);
            }
        }

        private static async Task<byte[]> BuildRootfsTarAsync(CancellationToken cancellationToken)
        {
            byte[] content = Encoding.ASCII.GetBytes(
                "This image only mounts volumes for MeshVolume; it is never started.\n");
            var entry = new ArchiveEntry
            {
                Path = "meshvolume-helper",
                Type = EntryType.File,
                Size = content.Length,
                Mode = Convert.ToInt32("644", 8),
                MtimeNanoseconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds() * 1000000000,
            };
            using (var tar = new MemoryStream())
            {
                using (var writer = new TarArchiveWriter(tar, leaveOpen: true))
                using (var source = new MemoryStream(content))
                {
                    await writer.WriteEntryAsync(entry, source, cancellationToken).ConfigureAwait(false);
                    await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
                }

                return tar.ToArray();
            }
        }
    }
}
