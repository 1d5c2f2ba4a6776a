using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet;
using Docker.DotNet.Models;
using MeshVolume.Model;
using MeshVolume.Services.Backup;
using MeshVolume.Services.Repository;

namespace MeshVolume.Services.Persistence
{
    /// <summary>The request of Test-MeshVolumePersistence for one volume.</summary>
    public sealed class PersistenceRequest
    {
        public string VolumeName { get; set; }

        /// <summary>Running container to restart, or null to use a probe container.</summary>
        public string ContainerName { get; set; }

        /// <summary>Image of the probe container, when ContainerName is null.</summary>
        public string Image { get; set; }

        /// <summary>
        /// Long-running program of the probe, or null for <see
        /// cref="PersistenceProbe.DefaultCommand"/>.
        /// </summary>
        public IList<string> Command { get; set; }

        /// <summary>Repository of the backup and restore drill, or null for no drill.</summary>
        public IBackupRepository Repository { get; set; }

        /// <summary>Runs the drill on a scratch copy, leaving the volume alone.</summary>
        public bool ScratchCopy { get; set; }

        /// <summary>Receives the name of each step as it starts, from any thread.</summary>
        public Action<string> StepStarted { get; set; }

        /// <summary>Receives verbose lines, from any thread.</summary>
        public Action<string> Report { get; set; }

        /// <summary>Receives warnings, such as a sentinel file that could not be removed.</summary>
        public Action<string> Warn { get; set; }
    }

    /// <summary>
    /// A persistence check whose preconditions were verified, before anything changed: what
    /// it will restart, where the volume is mounted, and which drill it will run.
    /// </summary>
    public sealed class PersistencePlan
    {
        internal PersistenceRequest Request { get; set; }

        internal VolumeResponse Volume { get; set; }

        /// <summary>The named container, or null when a probe container is used.</summary>
        internal ContainerInspectResponse Container { get; set; }

        /// <summary>Where the named container mounts the volume.</summary>
        internal string ContainerMountPath { get; set; }

        /// <summary>
        /// The drill to run. The cmdlet sets None when the user declines the in-place drill.
        /// </summary>
        public PersistenceDrill Drill { get; set; }

        internal string ContainerName => Container?.Name?.TrimStart('/');

        /// <summary>
        /// The restart check (and a scratch-copy drill) in words, for ShouldProcess.
        /// </summary>
        public string DescribeCheck()
        {
            string check = Container != null
                ? $"Write a sentinel file into the volume through the container '{ContainerName}', " +
                  "restart that container and read the file back"
                : "Write a sentinel file into the volume through a probe container from the " +
                  $"image '{Request.Image}', restart the probe and read the file back";
            if (Drill == PersistenceDrill.ScratchCopy)
            {
                check += $", then back up the volume to {Request.Repository.Location} and " +
                    "test that backup on a scratch copy";
            }

            return check;
        }

        /// <summary>The in-place drill in words, for ShouldProcess.</summary>
        public string DescribeDrill()
        {
            string location = Request.Repository.Location;
            return Container != null
                ? $"Stop the container '{ContainerName}', back up the volume to {location}, " +
                  "remove all of its contents, restore them from the backup and start the " +
                  "container again"
                : $"Back up the volume to {location}, remove the volume, create it again from " +
                  "the backup and check it with a new probe container";
        }

        /// <summary>
        /// Checks that the volume, the container or image, and for an in-place drill the
        /// volume's users, allow the check. Throws a <see cref="MeshVolumeException"/> that
        /// names what is wrong otherwise.
        /// </summary>
        public static async Task<PersistencePlan> CreateAsync(
            DockerEngine engine, PersistenceRequest request, CancellationToken cancellationToken)
        {
            var volumes = new VolumeService(engine);
            var plan = new PersistencePlan
            {
                Request = request,
                Volume = await volumes.InspectAsync(request.VolumeName, cancellationToken)
                    .ConfigureAwait(false),
                Drill = request.Repository == null ? PersistenceDrill.None
                    : request.ScratchCopy ? PersistenceDrill.ScratchCopy
                    : PersistenceDrill.InPlace,
            };

            if (request.ContainerName != null)
            {
                await plan.CheckContainerAsync(engine, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await CheckImageAsync(engine, request.Image, cancellationToken)
                    .ConfigureAwait(false);
            }

            if (plan.Drill == PersistenceDrill.InPlace)
            {
                await plan.CheckInPlaceDrillAsync(engine, volumes, cancellationToken)
                    .ConfigureAwait(false);
            }

            return plan;
        }

        private async Task CheckContainerAsync(DockerEngine engine, CancellationToken cancellationToken)
        {
            string name = Request.ContainerName;
            try
            {
                Container = await engine.Client.Containers
                    .InspectContainerAsync(name, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                throw new MeshVolumeException(
                    $"The container '{name}' was not found on the engine at {engine.Name}.",
                    MeshErrors.ContainerNotFound, ErrorCategory.ObjectNotFound, ex);
            }

            if (!Container.State.Running)
            {
                throw new MeshVolumeException(
                    $"The container '{ContainerName}' is {Container.State.Status}, not running. " +
                    "Start it first, or check the volume with a probe container (-Image).",
                    MeshErrors.ContainerNotRunning, ErrorCategory.InvalidOperation);
            }

            MountPoint mount = Container.Mounts?.FirstOrDefault(
                m => m.Type == "volume" && m.Name == Volume.Name);
            if (mount == null)
            {
                throw new MeshVolumeException(
                    $"The container '{ContainerName}' does not mount the volume '{Volume.Name}'. " +
                    "Name the container that uses the volume, or use a probe container (-Image).",
                    MeshErrors.VolumeNotMounted, ErrorCategory.InvalidArgument);
            }

            if (!mount.RW)
            {
                throw new MeshVolumeException(
                    $"The container '{ContainerName}' mounts the volume '{Volume.Name}' read-only " +
                    $"at {mount.Destination}, so no sentinel file can be written through it. " +
                    "Use a probe container (-Image) instead.",
                    MeshErrors.VolumeNotMounted, ErrorCategory.InvalidOperation);
            }

            ContainerMountPath = mount.Destination;
        }

        private static async Task CheckImageAsync(
            DockerEngine engine, string image, CancellationToken cancellationToken)
        {
            try
            {
                await engine.Client.Images.InspectImageAsync(image, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                throw new MeshVolumeException(
                    $"The image '{image}' is not on the engine at {engine.Name}. Pull or build it " +
                    "first: MeshVolume never pulls images.",
                    MeshErrors.ImageNotFound, ErrorCategory.ObjectNotFound, ex);
            }
        }

        // Docker removes a volume only when no container, running or stopped, references it,
        // and a container cannot drop a mount without being created again.
        private async Task CheckInPlaceDrillAsync(
            DockerEngine engine, VolumeService volumes, CancellationToken cancellationToken)
        {
            var users = await volumes.GetVolumeUsersAsync(cancellationToken).ConfigureAwait(false);
            var others = users[Volume.Name]
                .Where(u => Container == null || u.Id != Container.ID)
                .ToList();
            if (others.Count > 0)
            {
                string list = string.Join(", ", others.Select(u => $"{u.Name} ({u.State})"));
                string besides = Container == null ? "" : $" besides '{ContainerName}'";
                throw new MeshVolumeException(
                    $"The drill replaces the data of the volume '{Volume.Name}', but other " +
                    $"containers{besides} use it: {list}. Remove them or name the one to restart " +
                    "with -Container, or add -ScratchCopy to run the drill on a copy.",
                    MeshErrors.VolumeInUse, ErrorCategory.ResourceBusy);
            }

            if (Container != null && !VolumePaths.CanUseHostPath(engine, Volume))
            {
                throw new MeshVolumeException(
                    $"The container '{ContainerName}' keeps a reference to the volume " +
                    $"'{Volume.Name}', so the drill must empty the volume instead of removing " +
                    "it, and that works only through the volume's folder on this host. This " +
                    "volume has driver options or a remote engine, so its folder is not " +
                    "reachable. Add -ScratchCopy to run the drill on a copy.",
                    MeshErrors.VolumeInUse, ErrorCategory.ResourceBusy);
            }
        }
    }
}
