using System;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using MeshVolume.Model;
using MeshVolume.Services.Archive;
using MeshVolume.Services.Backup;
using MeshVolume.Services.HostFileSystem;
using MeshVolume.Services.Repository;

namespace MeshVolume.Services.Verification
{
    /// <summary>
    /// Reads a volume or an archive back as manifest entries, hashing each regular file's
    /// content on the way, so that <see cref="ManifestComparer"/> can check them.
    /// </summary>
    internal static class ManifestEntryReader
    {
        private const int CopyBufferSize = 1 << 20;

        /// <summary>Reads a volume from its folder on this host, keeping every attribute.</summary>
        public static async Task ReadHostFolderAsync(
            string folder, Action<ManifestEntry> add, TransferProgress progress,
            Action<string> warn, CancellationToken cancellationToken)
        {
            var reader = new HostVolumeReader(folder, warn);
            foreach (ArchiveEntry entry in reader.ReadEntries(cancellationToken))
            {
                string sha256 = null;
                if (entry.Type == EntryType.File)
                {
                    Stream file = reader.OpenContent(entry);

                    // Holes are hashed as zeros without being read, as the backup hashed them.
                    using (Stream content = entry.SparseMap == null ? file
                        : new SparseExpandingStream(
                            new SparseSegmentStream(file, entry.SparseMap, leaveOpen: false),
                            entry.SparseMap, entry.Size, leaveOpen: false))
                    {
                        sha256 = await HashAsync(content, progress, cancellationToken)
                            .ConfigureAwait(false);
                    }
                }

                add(ManifestRecorder.ToManifestEntry(entry, sha256));
            }
        }

        /// <summary>Reads a volume through the archive API of a helper container.</summary>
        public static async Task ReadThroughEngineAsync(
            DockerEngine engine, string volumeName, Action<ManifestEntry> add,
            TransferProgress progress, CancellationToken cancellationToken)
        {
            HelperContainer helper = await HelperContainer.CreateAsync(
                engine, volumeName, readOnly: true, cancellationToken).ConfigureAwait(false);
            try
            {
                using (Stream tar = await helper.GetArchiveAsync(cancellationToken)
                    .ConfigureAwait(false))
                {
                    await ReadTarAsync(tar, add, progress, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                await helper.DisposeAsync().ConfigureAwait(false);
            }
        }

        /// <summary>
        /// Reads a backup's archive from the repository without checking the archive's SHA-256,
        /// so that a changed archive still shows which entries changed. Damage that stops the
        /// reading raises ArchiveCorrupt, after the entries before it were passed on.
        /// </summary>
        public static async Task ReadArchiveAsync(
            IBackupRepository repository, BackupManifest manifest, Action<ManifestEntry> add,
            TransferProgress progress, CancellationToken cancellationToken)
        {
            if (!ArchiveCompression.TryParseManifestName(
                manifest.Compression, out CompressionMethod method))
            {
                throw new MeshVolumeException(
                    $"The backup {manifest.Id} of '{manifest.VolumeName}' uses the compression " +
                    $"'{manifest.Compression}', which this version of MeshVolume cannot read.",
                    MeshErrors.ManifestInvalid, ErrorCategory.InvalidData);
            }

            using (Stream archive = await repository
                .OpenReadAsync(manifest.ArchiveName, cancellationToken)
                .ConfigureAwait(false))
            using (Stream tar = ArchiveCompression.OpenRead(archive, method, leaveOpen: true))
            {
                await ReadTarAsync(tar, add, progress, cancellationToken).ConfigureAwait(false);
            }
        }

        private static async Task ReadTarAsync(
            Stream tar, Action<ManifestEntry> add, TransferProgress progress,
            CancellationToken cancellationToken)
        {
            using (var reader = new TarArchiveReader(tar, leaveOpen: true))
            {
                ArchiveEntry entry;
                while ((entry = await reader.ReadNextEntryAsync(cancellationToken)
                    .ConfigureAwait(false)) != null)
                {
                    string sha256 = null;
                    if (entry.Type == EntryType.File)
                    {
                        Stream content = entry.SparseMap == null ? reader.Content
                            : new SparseExpandingStream(
                                reader.Content, entry.SparseMap, entry.Size, leaveOpen: true);
                        sha256 = await HashAsync(content, progress, cancellationToken)
                            .ConfigureAwait(false);
                    }

                    add(ManifestRecorder.ToManifestEntry(entry, sha256));
                }
            }
        }

        private static async Task<string> HashAsync(
            Stream content, TransferProgress progress, CancellationToken cancellationToken)
        {
            var counted = new ProgressStream(content, progress);
            using (var hashing = new HashingStream(counted, leaveOpen: true))
            {
                await hashing.CopyToAsync(Stream.Null, CopyBufferSize, cancellationToken)
                    .ConfigureAwait(false);
                progress.AddFile();
                return hashing.GetSha256Hex();
            }
        }
    }
}
