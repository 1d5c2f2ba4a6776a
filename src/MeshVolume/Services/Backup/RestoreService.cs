using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Pipelines;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Docker.DotNet.Models;
using MeshVolume.Model;
using MeshVolume.Services.Archive;
using MeshVolume.Services.HostFileSystem;
using MeshVolume.Services.Repository;

namespace MeshVolume.Services.Backup
{
    /// <summary>Parameters of one restore, as Restore-MeshVolume passes them to the restore service.</summary>
    public sealed class RestoreRequest
    {
        public BackupManifest Manifest { get; set; }

        public IBackupRepository Repository { get; set; }

        /// <summary>Volume to restore into; the backup's own volume when null.</summary>
        public string TargetName { get; set; }

        /// <summary>Replaces the contents of a target that is not empty.</summary>
        public bool Force { get; set; }

        public DataPath DataPath { get; set; } = DataPath.Auto;

        /// <summary>
        /// Counters for progress records. The restore sets the total to the backup's content
        /// size unless the caller set one, as a test that also reads the volume back does.
        /// </summary>
        public TransferProgress Progress { get; set; } = new TransferProgress();

        /// <summary>Receives verbose lines; may be called from any thread.</summary>
        public Action<string> Report { get; set; }

        /// <summary>Receives warnings, such as an attribute the file system rejected.</summary>
        public Action<string> Warn { get; set; }
    }

    /// <summary>The outcome of a restore.</summary>
    public sealed class RestoreOutcome
    {
        public string TargetName { get; set; }

        public bool CreatedVolume { get; set; }

        public bool ReplacedContents { get; set; }

        public string DataPath { get; set; }

        public long EntriesRestored { get; set; }
    }

    /// <summary>
    /// Restores a backup into a volume. The archive's SHA-256 is checked against the manifest;
    /// a volume created for a restore that fails is removed again, and a failure after an
    /// existing volume was touched is reported as such.
    /// </summary>
    public sealed class RestoreService
    {
        private readonly DockerEngine _engine;
        private readonly VolumeService _volumes;

        public RestoreService(DockerEngine engine)
        {
            _engine = engine;
            _volumes = new VolumeService(engine);
        }

        public async Task<RestoreOutcome> RestoreAsync(
            RestoreRequest request, CancellationToken cancellationToken)
        {
            BackupManifest manifest = request.Manifest;
            string target = request.TargetName ?? manifest.VolumeName;
            VolumeService.ValidateName(target);
            var outcome = new RestoreOutcome { TargetName = target };

            VolumeResponse volume = await _volumes.TryInspectAsync(target, cancellationToken)
                .ConfigureAwait(false);
            if (volume == null)
            {
                volume = await CreateTargetAsync(request, target, cancellationToken)
                    .ConfigureAwait(false);
                outcome.CreatedVolume = true;
            }
            else
            {
                outcome.ReplacedContents = await PrepareExistingAsync(
                    request, volume, cancellationToken).ConfigureAwait(false);
                if (outcome.ReplacedContents && !VolumePaths.UseHostPath(_engine, volume, request.DataPath))
                {
                    volume = await _volumes.InspectAsync(target, cancellationToken).ConfigureAwait(false);
                }
            }

            bool host = VolumePaths.UseHostPath(_engine, volume, request.DataPath);
            outcome.DataPath = host ? "host" : "engine";
            try
            {
                outcome.EntriesRestored = await ExtractAsync(request, volume, host, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                throw await FailedAsync(request, target, outcome, ex).ConfigureAwait(false);
            }

            return outcome;
        }

        // Driver options such as a bind or NFS device name the storage that contains the data, so
        // a copy under another name with the same options would write into the original's
        // storage. Such a copy is created as a plain local volume instead. The new volume is
        // checked to be empty, because options can also point at storage that already contains files.
        private async Task<VolumeResponse> CreateTargetAsync(
            RestoreRequest request, string target, CancellationToken cancellationToken)
        {
            BackupManifest manifest = request.Manifest;
            bool copy = !string.Equals(target, manifest.VolumeName, StringComparison.Ordinal);
            bool hasOptions = manifest.DriverOptions != null && manifest.DriverOptions.Count > 0;
            string driver = manifest.Driver;
            IDictionary<string, string> options = manifest.DriverOptions;
            if (copy && hasOptions)
            {
                driver = "local";
                options = new Dictionary<string, string>();
                string listed = string.Join(", ",
                    manifest.DriverOptions.Select(pair => pair.Key + "=" + pair.Value));
                request.Warn?.Invoke(
                    $"The volume '{manifest.VolumeName}' had driver options ({listed}) that name " +
                    $"its storage; '{target}' is created as a plain local volume so the copy cannot " +
                    "write into that storage. To restore into other storage, create the target " +
                    "first with New-MeshVolume and restore into it.");
            }

            request.Report?.Invoke($"Creating the volume '{target}' with driver '{driver}'" +
                (copy && hasOptions ? "" : " and the backup's options") + " and labels.");
            VolumeResponse volume = await _volumes.CreateAsync(
                target, driver, options, manifest.Labels, cancellationToken).ConfigureAwait(false);
            bool host = VolumePaths.UseHostPath(_engine, volume, request.DataPath);
            if (!request.Force && !await IsEmptyAsync(volume, host, cancellationToken).ConfigureAwait(false))
            {
                await _volumes.RemoveAsync(target, cancellationToken).ConfigureAwait(false);
                throw new MeshVolumeException(
                    $"The volume '{target}' was created with the backup's driver options, but the " +
                    "storage they name already holds files. The volume definition was removed " +
                    "again and the files are untouched. Use -Force to restore over them, or " +
                    "restore into another volume with -TargetName.",
                    MeshErrors.RestoreTargetNotEmpty, ErrorCategory.ResourceExists);
            }

            return volume;
        }

        // An existing volume is only touched when the user forced it, no container runs on it,
        // and the archive has been verified, so a bad archive never costs the data there.
        private async Task<bool> PrepareExistingAsync(
            RestoreRequest request, VolumeResponse volume, CancellationToken cancellationToken)
        {
            var users = await _volumes.GetVolumeUsersAsync(cancellationToken).ConfigureAwait(false);
            var running = users[volume.Name].Where(c => c.State == "running").ToList();
            if (running.Count > 0)
            {
                throw new MeshVolumeException(
                    $"The volume '{volume.Name}' is in use by running container(s) " +
                    $"{string.Join(", ", running.Select(c => c.Name))}. Stop them before " +
                    "restoring into it, or restore into another volume with -TargetName.",
                    MeshErrors.VolumeInUse, ErrorCategory.ResourceBusy);
            }

            bool host = VolumePaths.UseHostPath(_engine, volume, request.DataPath);
            bool empty = await IsEmptyAsync(volume, host, cancellationToken).ConfigureAwait(false);
            if (empty)
            {
                return false;
            }

            if (!request.Force)
            {
                throw new MeshVolumeException(
                    $"The volume '{volume.Name}' is not empty. Use -Force to replace its contents " +
                    "with the backup, or restore into a new volume with -TargetName.",
                    MeshErrors.RestoreTargetNotEmpty, ErrorCategory.ResourceExists);
            }

            request.Report?.Invoke("Checking the archive's SHA-256 before replacing the contents " +
                $"of the volume '{volume.Name}'.");
            await VerifyArchiveAsync(request, cancellationToken).ConfigureAwait(false);

            if (!host && volume.Options != null && volume.Options.Count > 0)
            {
                throw new MeshVolumeException(
                    $"The volume '{volume.Name}' is not empty and keeps its data in storage named " +
                    "by driver options, which this module cannot empty through the engine. Empty " +
                    "that storage yourself and restore again, or restore into another volume " +
                    "with -TargetName.",
                    MeshErrors.RestoreTargetNotEmpty, ErrorCategory.ResourceExists);
            }

            request.Report?.Invoke($"Removing the current contents of the volume '{volume.Name}'.");
            if (host)
            {
                HostVolumeWriter.ClearVolume(volume.Mountpoint);
            }
            else
            {
                await RecreateAsync(volume, users[volume.Name].Any(), cancellationToken)
                    .ConfigureAwait(false);
            }

            return true;
        }

        // The archive API cannot delete files, so an engine-side volume is emptied by removing
        // and creating it again with the same driver, options and labels.
        private async Task RecreateAsync(
            VolumeResponse volume, bool hasContainers, CancellationToken cancellationToken)
        {
            if (hasContainers)
            {
                throw new MeshVolumeException(
                    $"The volume '{volume.Name}' must be emptied through the engine, which means " +
                    "removing and creating it again, but stopped containers still reference it. " +
                    "Remove those containers, or restore into another volume with -TargetName.",
                    MeshErrors.VolumeInUse, ErrorCategory.ResourceBusy);
            }

            await _volumes.RemoveAsync(volume.Name, cancellationToken).ConfigureAwait(false);
            await _volumes.CreateAsync(volume.Name, volume.Driver, volume.Options, volume.Labels,
                cancellationToken).ConfigureAwait(false);
        }

        private async Task<bool> IsEmptyAsync(
            VolumeResponse volume, bool host, CancellationToken cancellationToken)
        {
            if (host)
            {
                return !Directory.EnumerateFileSystemEntries(volume.Mountpoint).Any();
            }

            HelperContainer helper = await HelperContainer.CreateAsync(
                _engine, volume.Name, readOnly: true, cancellationToken).ConfigureAwait(false);
            try
            {
                // Reading stops after the second entry: the first is the volume root itself.
                using (Stream tar = await helper.GetArchiveAsync(cancellationToken).ConfigureAwait(false))
                using (var reader = new TarArchiveReader(tar))
                {
                    int entries = 0;
                    while (entries < 2 &&
                        await reader.ReadNextEntryAsync(cancellationToken).ConfigureAwait(false) != null)
                    {
                        entries++;
                    }

                    return entries < 2;
                }
            }
            finally
            {
                await helper.DisposeAsync().ConfigureAwait(false);
            }
        }

        private static async Task VerifyArchiveAsync(
            RestoreRequest request, CancellationToken cancellationToken)
        {
            BackupManifest manifest = request.Manifest;
            using (Stream archive = await request.Repository.OpenReadAsync(
                manifest.ArchiveName, cancellationToken).ConfigureAwait(false))
            using (var hashing = new HashingStream(archive, leaveOpen: false))
            {
                await hashing.CopyToAsync(Stream.Null, 1 << 20, cancellationToken).ConfigureAwait(false);
                CheckArchiveHash(manifest, hashing.GetSha256Hex());
            }
        }

        private async Task<long> ExtractAsync(
            RestoreRequest request, VolumeResponse volume, bool host,
            CancellationToken cancellationToken)
        {
            BackupManifest manifest = request.Manifest;
            request.Report?.Invoke($"Restoring {manifest.ArchiveName} from " +
                $"'{request.Repository.Location}' into the volume '{volume.Name}', writing " +
                (host ? $"its folder {volume.Mountpoint} directly." : "through the engine's archive API."));
            request.Progress.TotalBytes = request.Progress.TotalBytes ?? manifest.ContentSize;
            long entries;
            using (Stream archive = await request.Repository.OpenReadAsync(
                manifest.ArchiveName, cancellationToken).ConfigureAwait(false))
            using (var hashing = new HashingStream(archive, leaveOpen: false))
            {
                try
                {
                    // Decompression reads ahead on its own thread while this one writes files.
                    using (Stream decompressed = ArchiveCompression.OpenRead(
                        hashing, ParseCompression(manifest), leaveOpen: true))
                    using (Stream tar = new BackgroundReadStream(decompressed, leaveOpen: true))
                    {
                        entries = host
                            ? await ExtractOnHostAsync(tar, volume.Mountpoint, request, cancellationToken)
                                .ConfigureAwait(false)
                            : await ExtractThroughEngineAsync(tar, volume.Name, request, cancellationToken)
                                .ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (!(ex is OperationCanceledException))
                {
                    // A damaged archive usually fails to decompress before its end; reading the
                    // rest distinguishes a changed archive from a failure of the target volume.
                    await ThrowIfArchiveChangedAsync(hashing, manifest, ex).ConfigureAwait(false);
                    throw;
                }

                // Reads whatever follows the tar's end blocks, so every byte is hashed.
                await hashing.CopyToAsync(Stream.Null, 81920, cancellationToken).ConfigureAwait(false);
                CheckArchiveHash(manifest, hashing.GetSha256Hex());
            }

            return entries;
        }

        private static async Task<long> ExtractOnHostAsync(
            Stream tar, string folder, RestoreRequest request, CancellationToken cancellationToken)
        {
            long count = 0;
            using (var reader = new TarArchiveReader(tar, leaveOpen: true))
            using (var writer = new HostVolumeWriter(folder, request.Warn))
            {
                ArchiveEntry entry;
                while ((entry = await reader.ReadNextEntryAsync(cancellationToken)
                    .ConfigureAwait(false)) != null)
                {
                    Stream content = entry.Type == EntryType.File
                        ? new ProgressStream(reader.Content, request.Progress)
                        : null;
                    await writer.WriteEntryAsync(entry, content, cancellationToken)
                        .ConfigureAwait(false);
                    if (entry.Type == EntryType.File)
                    {
                        request.Progress.AddFile();
                    }

                    count++;
                }

                writer.Complete();
                writer.Flush();
            }

            return count;
        }

        private static CompressionMethod ParseCompression(BackupManifest manifest)
        {
            if (!ArchiveCompression.TryParseManifestName(manifest.Compression, out CompressionMethod method))
            {
                throw new MeshVolumeException(
                    $"The backup {manifest.Id} of '{manifest.VolumeName}' uses the compression " +
                    $"'{manifest.Compression}', which this version of MeshVolume cannot read.",
                    MeshErrors.ManifestInvalid, ErrorCategory.InvalidData);
            }

            return method;
        }

        private async Task<long> ExtractThroughEngineAsync(
            Stream tar, string volumeName, RestoreRequest request,
            CancellationToken cancellationToken)
        {
            HelperContainer helper = await HelperContainer.CreateAsync(
                _engine, volumeName, readOnly: false, cancellationToken).ConfigureAwait(false);
            try
            {
                // The engine applies a directory entry's mode, owner and time only to folders
                // it extracts into, never to the extraction folder itself. So every path gets
                // the mount folder's name in front and the archive is extracted at "/", which
                // makes the volume root an ordinary entry.
                var pipe = new Pipe(new PipeOptions(
                    pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20));
                Task<long> producer = Task.Run(
                    () => PrefixEntriesAsync(tar, pipe.Writer, request.Progress, cancellationToken),
                    cancellationToken);
                using (Stream input = pipe.Reader.AsStream())
                {
                    Task consumer = helper.ExtractArchiveAsync(input, "/", cancellationToken);
                    await Task.WhenAll(producer, consumer).ConfigureAwait(false);
                }

                return producer.Result;
            }
            finally
            {
                await helper.DisposeAsync().ConfigureAwait(false);
            }
        }

        private static async Task<long> PrefixEntriesAsync(
            Stream tar, PipeWriter output, TransferProgress progress,
            CancellationToken cancellationToken)
        {
            string prefix = HelperContainer.MountPath.TrimStart('/');
            long count = 0;
            try
            {
                using (Stream stream = output.AsStream(leaveOpen: true))
                using (var reader = new TarArchiveReader(tar, leaveOpen: true))
                using (var writer = new TarArchiveWriter(stream, leaveOpen: true))
                {
                    ArchiveEntry entry;
                    while ((entry = await reader.ReadNextEntryAsync(cancellationToken)
                        .ConfigureAwait(false)) != null)
                    {
                        entry.Path = entry.Path == "." ? prefix : prefix + "/" + entry.Path;
                        if (entry.Type == EntryType.HardLink)
                        {
                            entry.LinkTarget = prefix + "/" + entry.LinkTarget;
                        }

                        Stream content = entry.Type == EntryType.File
                            ? new ProgressStream(reader.Content, progress)
                            : null;
                        await writer.WriteEntryAsync(entry, content, cancellationToken)
                            .ConfigureAwait(false);
                        if (entry.Type == EntryType.File)
                        {
                            progress.AddFile();
                        }

                        count++;
                    }

                    await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
                }

                await output.CompleteAsync().ConfigureAwait(false);
                return count;
            }
            catch (Exception ex)
            {
                await output.CompleteAsync(ex).ConfigureAwait(false);
                throw;
            }
        }

        private static void CheckArchiveHash(
            BackupManifest manifest, string actual, Exception inner = null)
        {
            if (!string.Equals(actual, manifest.ArchiveSha256, StringComparison.OrdinalIgnoreCase))
            {
                string detail = inner == null ? "" : $" Reading it failed: {inner.GetBaseException().Message}";
                throw new MeshVolumeException(
                    $"The archive {manifest.ArchiveName} does not match its manifest: its SHA-256 " +
                    $"is {actual}, the manifest records {manifest.ArchiveSha256}. The archive was " +
                    $"changed or damaged after the backup; restore another backup.{detail}",
                    MeshErrors.ArchiveChecksumMismatch, ErrorCategory.InvalidData, inner);
            }
        }

        private static async Task ThrowIfArchiveChangedAsync(
            HashingStream hashing, BackupManifest manifest, Exception failure)
        {
            try
            {
                using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(30)))
                {
                    await hashing.CopyToAsync(Stream.Null, 1 << 20, timeout.Token).ConfigureAwait(false);
                }
            }
            catch (Exception)
            {
                // The archive cannot be read to its end, so the original failure is the better report.
                return;
            }

            CheckArchiveHash(manifest, hashing.GetSha256Hex(), failure);
        }

        private async Task<Exception> FailedAsync(
            RestoreRequest request, string target, RestoreOutcome outcome, Exception ex)
        {
            var known = ex as MeshVolumeException;
            string reason = known?.Message ?? ex.GetBaseException().Message;
            string errorId = known?.ErrorId ?? MeshErrors.RestoreFailed;
            if (ex is OperationCanceledException)
            {
                reason = "the restore was cancelled.";
                errorId = MeshErrors.OperationCancelled;
            }

            if (outcome.CreatedVolume)
            {
                try
                {
                    using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                    {
                        await _volumes.RemoveAsync(target, timeout.Token).ConfigureAwait(false);
                    }

                    reason += $" The volume '{target}', created for this restore, was removed.";
                }
                catch (Exception cleanup)
                {
                    reason += $" The volume '{target}', created for this restore, could not be " +
                        $"removed ({cleanup.GetBaseException().Message}); remove it with " +
                        $"Remove-MeshVolume {target}.";
                }

                return new MeshVolumeException(
                    $"Restoring into '{target}' failed: {reason}", errorId,
                    known?.Category ?? ErrorCategory.WriteError, ex);
            }

            string before = outcome.ReplacedContents
                ? "Its previous contents were removed and"
                : "It was empty before, and";
            return new MeshVolumeException(
                $"Restoring into the existing volume '{target}' failed midway: {reason} {before} " +
                "it now holds part of the backup. Run the restore again with -Force, from this " +
                "or another backup.",
                errorId == MeshErrors.ArchiveChecksumMismatch || errorId == MeshErrors.OperationCancelled
                    ? errorId : MeshErrors.RestoreIncomplete,
                ErrorCategory.WriteError, ex);
        }
    }
}
