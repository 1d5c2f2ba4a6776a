using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;

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
                // NOTE: a helper left behind carries the meshvolume.helper label; it holds no
                // data and is removed by 'docker rm' or the next cleanup of that label.
            }
        }

        // The helper image holds one text file: the container is never started, so it needs no
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

            byte[] rootfs = BuildRootfsTar();
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

        private static byte[] BuildRootfsTar()
        {
            byte[] content = Encoding.ASCII.GetBytes(
                "This image only mounts volumes for MeshVolume; it is never started.\n");
            var tar = new byte[512 + 512 + 1024];
            WriteOctal(tar, 100, 8, Convert.ToInt64("644", 8));
            WriteOctal(tar, 108, 8, 0);
            WriteOctal(tar, 116, 8, 0);
            WriteOctal(tar, 124, 12, content.Length);
            WriteOctal(tar, 136, 12, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            Encoding.ASCII.GetBytes("meshvolume-helper").CopyTo(tar, 0);
            tar[156] = (byte)'0';
            Encoding.ASCII.GetBytes("ustar\0" + "00").CopyTo(tar, 257);
            for (int i = 148; i < 156; i++)
            {
                tar[i] = (byte)' ';
            }

            long checksum = 0;
            for (int i = 0; i < 512; i++)
            {
                checksum += tar[i];
            }

            WriteOctal(tar, 148, 7, checksum);
            content.CopyTo(tar, 512);
            return tar;
        }

        private static void WriteOctal(byte[] buffer, int offset, int length, long value)
        {
            string text = Convert.ToString(value, 8).PadLeft(length - 1, '0');
            Encoding.ASCII.GetBytes(text).CopyTo(buffer, offset);
            buffer[offset + length - 1] = 0;
        }
    }
}
