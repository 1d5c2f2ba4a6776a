using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using MeshVolume.Model;
using MeshVolume.Services.Archive;

namespace MeshVolume.Services.Backup
{
    /// <summary>
    /// Writes each entry to the archive and records it in the manifest in the same pass, so
    /// the volume is read once.
    /// </summary>
    internal sealed class ManifestRecorder
    {
        private readonly BackupManifest _manifest;
        private readonly TarArchiveWriter _tar;
        private readonly TransferProgress _progress;
        private readonly Dictionary<string, ManifestEntry> _files =
            new Dictionary<string, ManifestEntry>(StringComparer.Ordinal);

        public ManifestRecorder(BackupManifest manifest, TarArchiveWriter tar, TransferProgress progress)
        {
            _manifest = manifest;
            _tar = tar;
            _progress = progress;
        }

        public async Task AddAsync(ArchiveEntry entry, Stream content, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Stream counted = content == null ? null : new ProgressStream(content, _progress);
            string sha256 = await _tar.WriteEntryAsync(entry, counted, cancellationToken)
                .ConfigureAwait(false);
            ManifestEntry recorded = ToManifestEntry(entry, sha256);

            // A hard link records the content of the file it joins, so a check of the
            // restored volume can compare it like any file.
            if (entry.Type == EntryType.HardLink &&
                _files.TryGetValue(entry.LinkTarget ?? string.Empty, out ManifestEntry target))
            {
                recorded.Sha256 = target.Sha256;
                recorded.Size = target.Size;
            }

            _manifest.Entries.Add(recorded);
            if (entry.Type == EntryType.File)
            {
                _files[entry.Path] = recorded;
                _manifest.FileCount++;
                _manifest.ContentSize += entry.Size;
                _progress.AddFile();
            }
        }

        /// <summary>Converts an archive entry to its manifest form.</summary>
        public static ManifestEntry ToManifestEntry(ArchiveEntry entry, string sha256)
        {
            Dictionary<string, string> xattrs = null;
            if (entry.Xattrs != null && entry.Xattrs.Count > 0)
            {
                xattrs = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (KeyValuePair<string, byte[]> pair in entry.Xattrs)
                {
                    xattrs[pair.Key] = Convert.ToBase64String(pair.Value);
                }
            }

            return new ManifestEntry
            {
                Path = entry.Path,
                Type = EntryTypes.ToName(entry.Type),
                Size = entry.Type == EntryType.File ? entry.Size : 0,
                Mode = Convert.ToString(entry.Mode & 0xFFF, 8).PadLeft(4, '0'),
                Uid = entry.Uid,
                Gid = entry.Gid,
                MtimeNanoseconds = entry.MtimeNanoseconds,
                LinkTarget = entry.LinkTarget,
                Sha256 = sha256,
                Sparse = entry.SparseMap != null,
                Xattrs = xattrs,
            };
        }
    }

    /// <summary>Names of entry types as the manifest writes them.</summary>
    public static class EntryTypes
    {
        public static string ToName(EntryType type)
        {
            switch (type)
            {
                case EntryType.File: return "file";
                case EntryType.Directory: return "directory";
                case EntryType.Symlink: return "symlink";
                case EntryType.HardLink: return "hardlink";
                case EntryType.Fifo: return "fifo";
                case EntryType.CharDevice: return "chardev";
                case EntryType.BlockDevice: return "blockdev";
                default: throw new ArgumentOutOfRangeException(nameof(type), type, null);
            }
        }
    }

    /// <summary>A read-through stream that adds the bytes read to a transfer's counters.</summary>
    internal sealed class ProgressStream : Stream
    {
        private readonly Stream _inner;
        private readonly TransferProgress _progress;

        public ProgressStream(Stream inner, TransferProgress progress)
        {
            _inner = inner;
            _progress = progress;
        }

        public override bool CanRead => true;

        public override bool CanSeek => _inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => _inner.Length;

        public override long Position
        {
            get => _inner.Position;
            set => _inner.Position = value;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int read = _inner.Read(buffer, offset, count);
            _progress.AddBytes(read);
            return read;
        }

        public override async Task<int> ReadAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            int read = await _inner.ReadAsync(buffer, offset, count, cancellationToken)
                .ConfigureAwait(false);
            _progress.AddBytes(read);
            return read;
        }

        public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) =>
            throw new NotSupportedException();
    }
}
