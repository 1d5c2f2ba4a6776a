using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet.Models;
using MeshVolume.Services.Verification;

namespace MeshVolume.Services.Persistence
{
    /// <summary>
    /// A container made from the user's image that runs an idle program with the volume
    /// mounted, so the volume is mounted as for a running application. It has no network and
    /// carries the label meshvolume.probe=1, and <see cref="TryDisposeAsync"/> removes it.
    /// </summary>
    public sealed class PersistenceProbe
    {
        public const string Label = "meshvolume.probe";
        public const string MountPath = "/meshvolume-probe";

        /// <summary>
        /// Program the probe runs when -Command is not given: busybox, Debian and Alpine have it.
        /// </summary>
        public static readonly IReadOnlyList<string> DefaultCommand = new[] { "sleep", "86400" };

        // The idle program gets no stop signal handler, so the engine kills it after this wait.
        private const int StopTimeoutSeconds = 1;

        private readonly DockerEngine _engine;

        private PersistenceProbe(DockerEngine engine, string id, string name)
        {
            _engine = engine;
            Id = id;
            Name = name;
        }

        public string Id { get; }

        public string Name { get; }

        /// <summary>
        /// Creates, without starting, a probe that mounts the volume at /meshvolume-probe.
        /// </summary>
        public static async Task<PersistenceProbe> CreateAsync(
            DockerEngine engine, string image, IList<string> command, string volumeName,
            CancellationToken cancellationToken)
        {
            string name = "meshvolume-probe-" + ScratchVolume.RandomHex(4);
            var parameters = new CreateContainerParameters
            {
                Name = name,
                Image = image,
                Entrypoint = new List<string> { command[0] },
                Cmd = command.Skip(1).ToList(),
                Labels = new Dictionary<string, string>
                {
                    [Label] = "1",
                    ["meshvolume.volume"] = volumeName,
                },
                NetworkDisabled = true,
                StopTimeout = System.TimeSpan.FromSeconds(StopTimeoutSeconds),
                HostConfig = new HostConfig
                {
                    NetworkMode = "none",
                    Binds = new List<string> { volumeName + ":" + MountPath + ":rw" },
                },
            };
            CreateContainerResponse created = await engine.Client.Containers
                .CreateContainerAsync(parameters, cancellationToken).ConfigureAwait(false);
            return new PersistenceProbe(engine, created.ID, name);
        }

        /// <summary>Starts the probe and checks that its program keeps running.</summary>
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await ContainerStates.StartAsync(_engine, Id, Name, cancellationToken)
                .ConfigureAwait(false);
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            await _engine.Client.Containers.StopContainerAsync(
                Id, new ContainerStopParameters { WaitBeforeKillSeconds = StopTimeoutSeconds },
                cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// Removes the probe and returns null, or the reason it could not be removed.
        /// </summary>
        public async Task<string> TryDisposeAsync()
        {
            try
            {
                // Not the caller's token: a cancelled check must still clean up.
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                {
                    await _engine.Client.Containers.RemoveContainerAsync(
                        Id, new ContainerRemoveParameters { Force = true }, timeout.Token)
                        .ConfigureAwait(false);
                }

                return null;
            }
            catch (Exception ex)
            {
                return ex.GetBaseException().Message;
            }
        }
    }
}
