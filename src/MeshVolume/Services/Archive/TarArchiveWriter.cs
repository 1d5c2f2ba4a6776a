using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace MeshVolume.Services.Archive
{
    /// <summary>
    /// Writes a POSIX pax archive: ustar headers, with a pax extended header before an entry
    /// whenever a value does not fit ustar (long or non-ASCII names, sizes from 8 GiB, ids from
    /// 2^21, sub-second times, extended attributes). Sparse files use the GNU pax sparse format
    /// 1.0, which GNU tar 1.15.92 and later extract with their holes.
    /// </summary>
    /// <remarks>
    /// Call <see cref="WriteEntryAsync"/> once per entry, then <see cref="FinishAsync"/>, which
    /// appends the two zero blocks that end an archive. Disposing without finishing leaves the
    /// archive without that end, so an interrupted backup cannot pass for a complete one.
    /// Memory stays at one copy buffer whatever the file sizes.
    /// </remarks>
    public sealed partial class TarArchiveWriter : IDisposable
    {
        private const int CopyBufferSize = 1 << 20;
        private const int MaxUstarOwnerNameBytes = TarFormat.OwnerNameLength - 1;
        private const int PermissionMask = 0xFFF; // 07777: permissions, setuid, setgid, sticky
        private const int PaxHeaderMode = 0x1A4; // 0644
        private const long NanosecondsPerSecond = 1000000000;

        // GNU tar names a sparse entry's ustar header DIR/GNUSparseFile.PID/FILE, so that tars
        // without sparse support extract the data (without holes) under a visibly odd name.
        private const string SparseFolderName = "GNUSparseFile.0";

        private static readonly byte[] ZeroBlocks = new byte[2 * TarFormat.BlockSize];
        private static readonly byte[] Zeros = new byte[128 * 1024];

        private readonly Stream _output;
        private readonly bool _leaveOpen;
        private readonly byte[] _header = new byte[TarFormat.BlockSize];
        private readonly byte[] _paxHeader = new byte[TarFormat.BlockSize];
        private readonly byte[] _buffer = new byte[CopyBufferSize];
        private bool _finished;
        private bool _disposed;

        /// <summary>Starts an archive on a writable stream, such as a compression stream.</summary>
        public TarArchiveWriter(Stream output, bool leaveOpen = false)
        {
            _output = output ?? throw new ArgumentNullException(nameof(output));
            if (!output.CanWrite)
            {
                throw new ArgumentException("The output stream is not writable.", nameof(output));
            }

            _leaveOpen = leaveOpen;
        }

        /// <summary>Bytes of (uncompressed) archive written so far.</summary>
        public long Position { get; private set; }

        /// <summary>
        /// Writes one entry. Returns the SHA-256 (lowercase hex) of a regular file's logical
        /// content, with the holes of a sparse file hashed as zeros, and null for other types.
        /// </summary>
        /// <param name="entry">
        /// Metadata; <see cref="ArchiveEntry.Size"/> is the logical size.
        /// </param>
        /// <param name="content">
        /// For a dense file, a stream of exactly Size bytes. For a sparse file (SparseMap set),
        /// the bytes of the data segments one after another, without the holes: wrap a
        /// seekable file in <see cref="SparseSegmentStream"/>, or pass the content stream of a
        /// sparse entry from <see cref="TarArchiveReader"/> as it is. Ignored for other types.
        /// The writer reads no more than it needs and does not dispose the stream.
        /// </param>
        /// <exception cref="MeshVolumeException">
        /// BackupFailed when the content ends before the size the entry declares, typically
        /// because the file shrank while it was read. The archive is unusable after that.
        /// </exception>
        public async Task<string> WriteEntryAsync(
            ArchiveEntry entry, Stream content, CancellationToken cancellationToken)
        {
            ThrowIfClosed();
            ValidateEntry(entry);
            bool isFile = entry.Type == EntryType.File;
            if (isFile && content == null && entry.Size > 0)
            {
                throw new ArgumentNullException(nameof(content),
                    $"Entry '{entry.Path}' is a file of {entry.Size} bytes but no content " +
                    "stream was given.");
            }

            List<SparseSegment> dataSegments = isFile && entry.SparseMap != null
                ? NormalizeSparseMap(entry)
                : null;
            List<SparseSegment> storedSegments = dataSegments == null
                ? null
                : AlignSparseMap(dataSegments);
            byte[] sparseMapBlock = storedSegments == null
                ? null
                : EncodeSparseMap(storedSegments, entry.Size);
            long dataLength = !isFile ? 0
                : storedSegments == null ? entry.Size
                : sparseMapBlock.Length + SumLengths(storedSegments);

            var pax = new PaxHeader();
            FillHeader(entry, storedSegments != null, dataLength, pax);
            if (pax.Count > 0)
            {
                await WritePaxHeaderAsync(entry, pax, cancellationToken).ConfigureAwait(false);
            }

            TarFormat.WriteChecksum(_header);
            await WriteAsync(_header, 0, TarFormat.BlockSize, cancellationToken)
                .ConfigureAwait(false);
            if (!isFile)
            {
                return null;
            }

            using (IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                if (storedSegments == null)
                {
                    await CopyContentAsync(
                        entry, content, entry.Size, 0, entry.Size, hash, cancellationToken)
                        .ConfigureAwait(false);
                }
                else
                {
                    await WriteAsync(sparseMapBlock, 0, sparseMapBlock.Length, cancellationToken)
                        .ConfigureAwait(false);
                    await CopySparseContentAsync(
                        entry, dataSegments, storedSegments, content, hash, cancellationToken)
                        .ConfigureAwait(false);
                }

                await WritePaddingAsync(dataLength, cancellationToken).ConfigureAwait(false);
                return ToHex(hash.GetHashAndReset());
            }
        }

        /// <summary>
        /// Writes the two zero blocks that end the archive and flushes the output.
        /// </summary>
        public async Task FinishAsync(CancellationToken cancellationToken)
        {
            ThrowIfClosed();
            await WriteAsync(ZeroBlocks, 0, ZeroBlocks.Length, cancellationToken)
                .ConfigureAwait(false);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            _finished = true;
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (!_leaveOpen)
            {
                _output.Dispose();
            }
        }

        private void ThrowIfClosed()
        {
            if (_disposed)
            {
                throw new ObjectDisposedException(nameof(TarArchiveWriter));
            }

            if (_finished)
            {
                throw new InvalidOperationException("The archive is already finished.");
            }
        }

        private static void ValidateEntry(ArchiveEntry entry)
        {
            if (entry == null)
            {
                throw new ArgumentNullException(nameof(entry));
            }

            if (string.IsNullOrEmpty(entry.Path) || entry.Path.IndexOf('\0') >= 0 ||
                entry.Path[0] == '/')
            {
                throw new ArgumentException(
                    $"Entry path '{entry.Path}' is invalid: it must be relative, non-empty and " +
                    "free of NUL characters.", nameof(entry));
            }

            bool isLink = entry.Type == EntryType.Symlink || entry.Type == EntryType.HardLink;
            bool targetInvalid = string.IsNullOrEmpty(entry.LinkTarget) ||
                entry.LinkTarget.IndexOf('\0') >= 0;
            if (isLink && targetInvalid)
            {
                throw new ArgumentException(
                    $"Link '{entry.Path}' has a missing or invalid target.", nameof(entry));
            }

            if (entry.Size < 0)
            {
                throw new ArgumentException(
                    $"Entry '{entry.Path}' has a negative size ({entry.Size}).", nameof(entry));
            }

            if (entry.SparseMap != null && entry.Type != EntryType.File)
            {
                throw new ArgumentException(
                    $"Entry '{entry.Path}' has a sparse map but is not a regular file.",
                    nameof(entry));
            }

            if (entry.Xattrs != null)
            {
                foreach (KeyValuePair<string, byte[]> xattr in entry.Xattrs)
                {
                    if (string.IsNullOrEmpty(xattr.Key) || xattr.Key.IndexOf('\0') >= 0 ||
                        xattr.Value == null)
                    {
                        throw new ArgumentException(
                            $"Entry '{entry.Path}' has an invalid extended attribute '{xattr.Key}'.",
                            nameof(entry));
                    }
                }
            }
        }

        /// <summary>
        /// Fills the ustar header of an entry and adds a pax record for each value that the
        /// header cannot hold exactly.
        /// </summary>
        private void FillHeader(ArchiveEntry entry, bool sparse, long dataLength, PaxHeader pax)
        {
            Array.Clear(_header, 0, _header.Length);
            string path = entry.Type == EntryType.Directory
                ? entry.Path.TrimEnd('/') + "/"
                : entry.Path;
            if (sparse)
            {
                // GNU.sparse.name carries the real path; the header gets the GNU-style stand-in.
                pax.Add(PaxHeader.SparseMajor, 1);
                pax.Add(PaxHeader.SparseMinor, 0);
                pax.Add(PaxHeader.SparseName, path);
                pax.Add(PaxHeader.SparseRealSize, entry.Size);
                WriteName(MakeSparseStandInName(path), null);
            }
            else
            {
                WriteName(path, pax);
            }

            TarFormat.WriteNumber(
                _header, TarFormat.ModeOffset, TarFormat.IdLength, entry.Mode & PermissionMask);
            WriteId(TarFormat.UidOffset, PaxHeader.Uid, entry.Uid, pax);
            WriteId(TarFormat.GidOffset, PaxHeader.Gid, entry.Gid, pax);
            if (!TarFormat.WriteNumber(_header, TarFormat.SizeOffset, TarFormat.SizeLength, dataLength))
            {
                pax.Add(PaxHeader.Size, dataLength);
            }

            WriteMtime(entry.MtimeNanoseconds, pax);
            _header[TarFormat.TypeFlagOffset] = GetTypeFlag(entry.Type);
            if (entry.Type == EntryType.Symlink || entry.Type == EntryType.HardLink)
            {
                byte[] target = TarFormat.StrictUtf8.GetBytes(entry.LinkTarget);
                bool fits = target.Length <= TarFormat.NameLength && IsAscii(target);
                TarFormat.WriteText(_header, TarFormat.LinkNameOffset, TarFormat.NameLength, target);
                if (!fits)
                {
                    pax.Add(PaxHeader.LinkPath, target);
                }
            }

            TarFormat.WritePosixMagic(_header);
            WriteOwnerName(TarFormat.UserNameOffset, PaxHeader.UserName, entry.UserName, pax);
            WriteOwnerName(TarFormat.GroupNameOffset, PaxHeader.GroupName, entry.GroupName, pax);
            bool isDevice = entry.Type == EntryType.CharDevice || entry.Type == EntryType.BlockDevice;
            TarFormat.WriteNumber(_header, TarFormat.DeviceMajorOffset, TarFormat.IdLength,
                isDevice ? (uint)entry.DeviceMajor : 0);
            TarFormat.WriteNumber(_header, TarFormat.DeviceMinorOffset, TarFormat.IdLength,
                isDevice ? (uint)entry.DeviceMinor : 0);

            if (entry.Xattrs != null)
            {
                var names = new List<string>(entry.Xattrs.Keys);
                names.Sort(StringComparer.Ordinal);
                foreach (string name in names)
                {
                    string keyword = PaxHeader.XattrPrefix + PaxHeader.EncodeXattrName(name);
                    pax.Add(keyword, entry.Xattrs[name]);
                }
            }
        }

        /// <summary>
        /// Stores an ASCII path that fits in the name field, or split across prefix and name.
        /// Any other path is stored cut to the name field, plus a pax path record when pax is
        /// given.
        /// </summary>
        private void WriteName(string path, PaxHeader pax)
        {
            byte[] bytes = TarFormat.StrictUtf8.GetBytes(path);
            bool ascii = IsAscii(bytes);
            if (ascii && bytes.Length <= TarFormat.NameLength)
            {
                TarFormat.WriteText(_header, TarFormat.NameOffset, TarFormat.NameLength, bytes);
                return;
            }

            if (ascii && bytes.Length <= TarFormat.PrefixLength + 1 + TarFormat.NameLength)
            {
                // Split at the first '/' that leaves a name short enough. The trailing '/' of a
                // directory cannot be the split point, because the name part would be empty.
                for (int slash = 0; slash < bytes.Length - 1; slash++)
                {
                    if (bytes[slash] != (byte)'/' || bytes.Length - slash - 1 > TarFormat.NameLength)
                    {
                        continue;
                    }

                    if (slash > TarFormat.PrefixLength)
                    {
                        break;
                    }

                    Buffer.BlockCopy(bytes, 0, _header, TarFormat.PrefixOffset, slash);
                    Buffer.BlockCopy(bytes, slash + 1, _header, TarFormat.NameOffset,
                        bytes.Length - slash - 1);
                    return;
                }
            }

            TarFormat.WriteText(_header, TarFormat.NameOffset, TarFormat.NameLength, bytes);
            pax?.Add(PaxHeader.Path, bytes);
        }

        private static string MakeSparseStandInName(string path)
        {
            int slash = path.LastIndexOf('/');
            string folder = slash < 0 ? string.Empty : path.Substring(0, slash + 1);
            string standIn = folder + SparseFolderName + "/" + path.Substring(slash + 1);
            byte[] bytes = TarFormat.StrictUtf8.GetBytes(standIn);
            return IsAscii(bytes) && bytes.Length <= TarFormat.PrefixLength + 1 + TarFormat.NameLength
                ? standIn
                : SparseFolderName + "/" + ToAsciiStandIn(path.Substring(slash + 1));
        }

        private void WriteId(int offset, string keyword, int id, PaxHeader pax)
        {
            // Ids are unsigned 32-bit on Linux; the int carries them bit for bit.
            long value = (uint)id;
            if (!TarFormat.WriteNumber(_header, offset, TarFormat.IdLength, value))
            {
                pax.Add(keyword, value);
            }
        }

        private void WriteMtime(long nanoseconds, PaxHeader pax)
        {
            long seconds = FloorDivide(nanoseconds, NanosecondsPerSecond);
            bool exact = TarFormat.WriteNumber(
                _header, TarFormat.MtimeOffset, TarFormat.MtimeLength, seconds);
            if (!exact || seconds * NanosecondsPerSecond != nanoseconds)
            {
                pax.Add(PaxHeader.Mtime, PaxHeader.FormatTime(nanoseconds));
            }
        }

        private void WriteOwnerName(int offset, string keyword, string name, PaxHeader pax)
        {
            if (string.IsNullOrEmpty(name))
            {
                return;
            }

            byte[] bytes = TarFormat.StrictUtf8.GetBytes(name);
            TarFormat.WriteText(_header, offset, MaxUstarOwnerNameBytes, bytes);
            if (bytes.Length > MaxUstarOwnerNameBytes || !IsAscii(bytes))
            {
                pax.Add(keyword, bytes);
            }
        }

        private async Task WritePaxHeaderAsync(
            ArchiveEntry entry, PaxHeader pax, CancellationToken cancellationToken)
        {
            byte[] data = pax.Encode();
            Array.Clear(_paxHeader, 0, _paxHeader.Length);
            int slash = entry.Path.TrimEnd('/').LastIndexOf('/');
            string name = "PaxHeaders/" + ToAsciiStandIn(entry.Path.Substring(slash + 1));
            TarFormat.WriteText(_paxHeader, TarFormat.NameOffset, TarFormat.NameLength,
                Encoding.ASCII.GetBytes(name));
            TarFormat.WriteNumber(_paxHeader, TarFormat.ModeOffset, TarFormat.IdLength, PaxHeaderMode);
            TarFormat.WriteNumber(_paxHeader, TarFormat.UidOffset, TarFormat.IdLength, 0);
            TarFormat.WriteNumber(_paxHeader, TarFormat.GidOffset, TarFormat.IdLength, 0);
            TarFormat.WriteNumber(_paxHeader, TarFormat.SizeOffset, TarFormat.SizeLength, data.Length);
            long seconds = Math.Max(0, FloorDivide(entry.MtimeNanoseconds, NanosecondsPerSecond));
            TarFormat.WriteNumber(_paxHeader, TarFormat.MtimeOffset, TarFormat.MtimeLength,
                Math.Min(seconds, TarFormat.MaxOctal11));
            _paxHeader[TarFormat.TypeFlagOffset] = TarFormat.TypePaxEntry;
            TarFormat.WritePosixMagic(_paxHeader);
            TarFormat.WriteChecksum(_paxHeader);

            await WriteAsync(_paxHeader, 0, TarFormat.BlockSize, cancellationToken)
                .ConfigureAwait(false);
            await WriteAsync(data, 0, data.Length, cancellationToken).ConfigureAwait(false);
            await WritePaddingAsync(data.Length, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Copies exactly length bytes of content to the archive, hashing them.</summary>
        private async Task CopyContentAsync(
            ArchiveEntry entry, Stream content, long length, long copiedBefore, long expectedTotal,
            IncrementalHash hash, CancellationToken cancellationToken)
        {
            long remaining = length;
            while (remaining > 0)
            {
                int request = (int)Math.Min(_buffer.Length, remaining);
                int read = await content.ReadAsync(_buffer, 0, request, cancellationToken)
                    .ConfigureAwait(false);
                if (read <= 0)
                {
                    long got = copiedBefore + length - remaining;
                    throw new MeshVolumeException(
                        $"File '{entry.Path}' ended after {got} of {expectedTotal} bytes: it shrank " +
                        "while it was archived. Stop the containers that write to the volume " +
                        "during the backup, or retry.",
                        MeshErrors.BackupFailed, ErrorCategory.ReadError);
                }

                hash.AppendData(_buffer, 0, read);
                await WriteAsync(_buffer, 0, read, cancellationToken).ConfigureAwait(false);
                remaining -= read;
            }
        }

        private Task WritePaddingAsync(long dataLength, CancellationToken cancellationToken)
        {
            int padding = (int)(TarFormat.PaddedLength(dataLength) - dataLength);
            return padding == 0
                ? Task.CompletedTask
                : WriteAsync(ZeroBlocks, 0, padding, cancellationToken);
        }

        private async Task WriteAsync(
            byte[] data, int offset, int count, CancellationToken cancellationToken)
        {
            await _output.WriteAsync(data, offset, count, cancellationToken).ConfigureAwait(false);
            Position += count;
        }

        private static byte GetTypeFlag(EntryType type)
        {
            switch (type)
            {
                case EntryType.File: return TarFormat.TypeFile;
                case EntryType.Directory: return TarFormat.TypeDirectory;
                case EntryType.Symlink: return TarFormat.TypeSymlink;
                case EntryType.HardLink: return TarFormat.TypeHardLink;
                case EntryType.Fifo: return TarFormat.TypeFifo;
                case EntryType.CharDevice: return TarFormat.TypeCharDevice;
                case EntryType.BlockDevice: return TarFormat.TypeBlockDevice;
                default: throw new ArgumentOutOfRangeException(nameof(type), type,
                    "Unknown entry type.");
            }
        }

        private static bool IsAscii(byte[] bytes)
        {
            foreach (byte b in bytes)
            {
                if (b >= 0x80)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Makes a printable ASCII stand-in name of at most 80 characters for headers that
        /// tars without pax support show instead of the real name.
        /// </summary>
        private static string ToAsciiStandIn(string name)
        {
            var text = new StringBuilder(Math.Min(name.Length, 80));
            foreach (char c in name)
            {
                if (text.Length == 80)
                {
                    break;
                }

                text.Append(c >= ' ' && c < 0x7F && c != '/' ? c : '_');
            }

            string standIn = text.ToString();
            return standIn.Length == 0 || standIn == "." || standIn == ".." ? "_" : standIn;
        }

        private static long FloorDivide(long value, long divisor)
        {
            long quotient = value / divisor;
            return value % divisor < 0 ? quotient - 1 : quotient;
        }

        private static string ToHex(byte[] bytes)
        {
            var text = new StringBuilder(bytes.Length * 2);
            foreach (byte b in bytes)
            {
                text.Append(b.ToString("x2"));
            }

            return text.ToString();
        }
    }
}
