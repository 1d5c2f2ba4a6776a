using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet.Models;
using MeshVolume.Model;

namespace MeshVolume.Services
{
    /// <summary>Stops the running containers that use a volume and starts them again.</summary>
    public sealed class ContainerControl
    {
        private readonly DockerEngine _engine;

        public ContainerControl(DockerEngine engine)
        {
            _engine = engine;
        }

        /// <summary>Running containers that mount the volume.</summary>
        public async Task<IReadOnlyList<MeshVolumeContainerInfo>> GetRunningUsersAsync(
            string volumeName, CancellationToken cancellationToken)
        {
            var users = await new VolumeService(_engine).GetVolumeUsersAsync(cancellationToken)
                .ConfigureAwait(false);
            return users[volumeName].Where(c => c.State == "running" || c.State == "restarting")
                .ToList();
        }

        /// <summary>Stops containers, returning those it stopped, in order.</summary>
        public async Task<IReadOnlyList<MeshVolumeContainerInfo>> StopAsync(
            IEnumerable<MeshVolumeContainerInfo> containers, Action<string> report,
            CancellationToken cancellationToken)
        {
            var stopped = new List<MeshVolumeContainerInfo>();
            foreach (MeshVolumeContainerInfo container in containers)
            {
                report?.Invoke($"Stopping the container '{container.Name}' for the backup.");
                await _engine.Client.Containers.StopContainerAsync(
                    container.Id, new ContainerStopParameters { WaitBeforeKillSeconds = 30 },
                    cancellationToken).ConfigureAwait(false);
                stopped.Add(container);
            }

            return stopped;
        }

        /// <summary>
        /// Starts containers again whatever happened before; returns the failures as messages
        /// rather than throwing, so every container gets its chance.
        /// </summary>
        public async Task<IReadOnlyList<string>> StartAsync(
            IEnumerable<MeshVolumeContainerInfo> containers, Action<string> report)
        {
            var failures = new List<string>();
            foreach (MeshVolumeContainerInfo container in containers.Reverse())
            {
                try
                {
                    report?.Invoke($"Starting the container '{container.Name}' again.");

                    // Not the caller's token: after Ctrl+C the containers must still come back.
                    using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
                    {
                        await _engine.Client.Containers.StartContainerAsync(
                            container.Id, new ContainerStartParameters(), timeout.Token)
                            .ConfigureAwait(false);
                    }
                }
                catch (Exception ex)
                {
                    failures.Add($"The container '{container.Name}' could not be started " +
                        $"again: {ex.GetBaseException().Message}. Start it with 'docker start " +
                        $"{container.Name}'.");
                }
            }

            return failures;
        }
    }
}
