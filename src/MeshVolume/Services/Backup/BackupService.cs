using System;
using System.Collections.Generic;
using System.IO;
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
    /// <summary>
    /// Streams one volume into an archive and a manifest in a repository. The archive is
    /// uploaded while it is produced; the manifest is written only after the archive is
    /// complete, so an interrupted backup never has one.
    /// </summary>
    public sealed class BackupService
    {
        private readonly DockerEngine _engine;

        public BackupService(DockerEngine engine)
        {
            _engine = engine;
        }

        public async Task<BackupManifest> BackupAsync(
            BackupRequest request, CancellationToken cancellationToken)
        {
            var volumes = new VolumeService(_engine);
            VolumeResponse volume = await volumes.InspectAsync(request.VolumeName, cancellationToken)
                .ConfigureAwait(false);
            DateTime started = DateTime.UtcNow;
            string id = BackupNaming.NewId(started);
            string archiveName = BackupNaming.ArchiveName(
                volume.Name, id, ArchiveCompression.GetFileExtension(request.Compression));
            var manifest = new BackupManifest
            {
                Id = id,
                VolumeName = volume.Name,
                Driver = volume.Driver,
                DriverOptions = Copy(volume.Options),
                Labels = Copy(volume.Labels),
                Engine = _engine.Name,
                EngineVersion = _engine.EngineVersion,
                Host = Environment.MachineName,
                CreatedUtc = started,
                Compression = ArchiveCompression.ToManifestName(request.Compression),
                ArchiveName = archiveName,
                Tags = new List<string>(request.Tags ?? new List<string>()),
            };

            bool host = VolumePaths.UseHostPath(_engine, volume, request.DataPath);
            manifest.ReadPath = host ? "host" : "engine";
            request.Report?.Invoke($"Backing up the volume '{volume.Name}' to " +
                $"'{request.Repository.Location}' as {archiveName}, reading " +
                (host ? $"its folder {volume.Mountpoint} directly." : "through the engine's archive API."));

            RepositoryUpload upload = await request.Repository
                .OpenUploadAsync(archiveName, cancellationToken).ConfigureAwait(false);
            try
            {
                await WriteArchiveAsync(request, volume, host, upload, manifest, cancellationToken)
                    .ConfigureAwait(false);
                await upload.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await upload.AbortAsync().ConfigureAwait(false);
                throw Failed(volume.Name, ex);
            }
            finally
            {
                upload.Dispose();
            }

            string manifestName = BackupNaming.ManifestName(volume.Name, id);
            await request.Repository.WriteAllBytesAsync(
                manifestName, ManifestSerializer.Serialize(manifest), cancellationToken)
                .ConfigureAwait(false);
            request.Report?.Invoke($"Wrote the manifest {manifestName}: {manifest.FileCount:N0} " +
                $"files, {TransferProgress.FormatBytes(manifest.ContentSize)} of content, " +
                $"archive {TransferProgress.FormatBytes(manifest.ArchiveSize)}.");
            return manifest;
        }

        private async Task WriteArchiveAsync(
            BackupRequest request, VolumeResponse volume, bool host, Stream destination,
            BackupManifest manifest, CancellationToken cancellationToken)
        {
            var hashing = new HashingStream(destination, leaveOpen: true);
            Stream compressed = null;
            TarArchiveWriter tar = null;
            try
            {
                // The compressing stream works on its own thread, so reading, hashing and tar
                // framing use the other core.
                compressed = ArchiveCompression.Create(
                    hashing, request.Compression, request.CompressionLevel, leaveOpen: true);
                tar = new TarArchiveWriter(compressed, leaveOpen: true);
                var recorder = new ManifestRecorder(manifest, tar, request.Progress);
                if (host)
                {
                    await ReadFromHostAsync(volume.Mountpoint, recorder, request.Warn,
                        cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await ReadFromEngineAsync(volume.Name, recorder, cancellationToken)
                        .ConfigureAwait(false);
                }

                await tar.FinishAsync(cancellationToken).ConfigureAwait(false);
                tar.Dispose();
                compressed.Dispose();
                manifest.ArchiveSize = hashing.ByteCount;
                manifest.ArchiveSha256 = hashing.GetSha256Hex();
            }
            catch (Exception)
            {
                // Closing the streams of a failed backup writes into an upload that may be
                // closed already. Those errors would hide the failure the user must see.
                DisposeQuietly(tar);
                DisposeQuietly(compressed);
                throw;
            }
            finally
            {
                DisposeQuietly(hashing);
            }
        }

        private static void DisposeQuietly(IDisposable disposable)
        {
            try
            {
                disposable?.Dispose();
            }
            catch (Exception)
            {
                // See the caller: the first failure is the one reported.
            }
        }

        private static async Task ReadFromHostAsync(
            string folder, ManifestRecorder recorder, Action<string> warn,
            CancellationToken cancellationToken)
        {
            var reader = new HostVolumeReader(folder, warn);
            foreach (ArchiveEntry entry in reader.ReadEntries(cancellationToken))
            {
                Stream content = null;
                if (entry.Type == EntryType.File)
                {
                    Stream file = reader.OpenContent(entry);
                    content = entry.SparseMap == null
                        ? file
                        : new SparseSegmentStream(file, entry.SparseMap, leaveOpen: false);
                }

                using (content)
                {
                    await recorder.AddAsync(entry, content, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        private async Task ReadFromEngineAsync(
            string volumeName, ManifestRecorder recorder, CancellationToken cancellationToken)
        {
            HelperContainer helper = await HelperContainer.CreateAsync(
                _engine, volumeName, readOnly: true, cancellationToken).ConfigureAwait(false);
            try
            {
                using (Stream tarStream = await helper.GetArchiveAsync(cancellationToken)
                    .ConfigureAwait(false))
                using (var reader = new TarArchiveReader(tarStream))
                {
                    ArchiveEntry entry;
                    while ((entry = await reader.ReadNextEntryAsync(cancellationToken)
                        .ConfigureAwait(false)) != null)
                    {
                        RejectUndecodableName(entry);
                        entry.Path = VolumePaths.FromEngineArchive(entry.Path);
                        if (entry.Type == EntryType.HardLink)
                        {
                            entry.LinkTarget = VolumePaths.FromEngineArchive(entry.LinkTarget);
                        }

                        await recorder.AddAsync(entry, reader.Content, cancellationToken)
                            .ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                await helper.DisposeAsync().ConfigureAwait(false);
            }
        }

        // The archive reader decodes names leniently, turning bytes that are not UTF-8 into
        // U+FFFD; two such names could then collide and one file would be lost on restore.
        // NOTE: a name that really contains U+FFFD is rejected too; the host path can tell.
        private static void RejectUndecodableName(ArchiveEntry entry)
        {
            string path = entry.Path ?? string.Empty;
            string target = entry.LinkTarget ?? string.Empty;
            if (path.IndexOf('\uFFFD') < 0 && target.IndexOf('\uFFFD') < 0)
            {
                return;
            }

            throw new MeshVolumeException(
                $"The volume has an entry whose name is not valid UTF-8 ('{path}', with the " +
                "undecodable bytes shown as U+FFFD). Read through the engine, it cannot be kept " +
                "exactly. Rename it, or back up on the engine's host, where the volume's folder " +
                "is read directly and the error names the bytes.",
                MeshErrors.FileNameNotUtf8, ErrorCategory.InvalidData);
        }

        private static MeshVolumeException Failed(string volumeName, Exception ex)
        {
            if (ex is OperationCanceledException)
            {
                return new MeshVolumeException(
                    $"The backup of the volume '{volumeName}' was cancelled; no backup was " +
                    "recorded and the partial archive was removed.",
                    MeshErrors.OperationCancelled, ErrorCategory.OperationStopped, ex);
            }

            if (ex is MeshVolumeException known)
            {
                return new MeshVolumeException(
                    $"The backup of the volume '{volumeName}' failed: {known.Message} No backup " +
                    "was recorded and the partial archive was removed.",
                    known.ErrorId, known.Category, ex);
            }

            return new MeshVolumeException(
                $"The backup of the volume '{volumeName}' failed: {ex.GetBaseException().Message}" +
                " No backup was recorded and the partial archive was removed.",
                MeshErrors.BackupFailed, ErrorCategory.WriteError, ex);
        }

        private static Dictionary<string, string> Copy(IDictionary<string, string> source)
        {
            return source == null ? new Dictionary<string, string>()
                : new Dictionary<string, string>(source, StringComparer.Ordinal);
        }
    }
}
