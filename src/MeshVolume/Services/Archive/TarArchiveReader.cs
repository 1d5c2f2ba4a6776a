using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace MeshVolume.Services.Archive
{
    /// <summary>
    /// Reads tar archives entry by entry: POSIX ustar and pax (what <see cref="TarArchiveWriter"/>
    /// writes, and GNU tar --posix), GNU long names ('L', 'K') and old GNU sparse files ('S'),
    /// and the output of Go's archive/tar, which is what the Docker archive API returns.
    /// </summary>
    /// <remarks>
    /// After <see cref="ReadNextEntryAsync"/> returns an entry, <see cref="Content"/> reads its
    /// data; whatever is left unread is skipped by the next call. Sparse files (GNU sparse
    /// formats 0.0, 0.1, 1.0 and old GNU) come back with <see cref="ArchiveEntry.SparseMap"/>
    /// set and Content holding only the data segments, one after another; see
    /// <see cref="SparseExpandingStream"/> for the logical content. Damage (bad checksum,
    /// truncation, malformed extended header, invalid compressed data) raises a
    /// <see cref="MeshVolumeException"/> with the ArchiveCorrupt error id, naming the byte
    /// offset in the uncompressed archive and the entry.
    /// </remarks>
    public sealed partial class TarArchiveReader : IDisposable
    {
        // Extended headers and GNU long names are read into memory; a corrupt size field must
        // not make the reader allocate gigabytes.
        private const int MaxMetadataSize = 16 << 20;
        private const int PermissionMask = 0xFFF; // 07777
        private const long NanosecondsPerSecond = 1000000000;

        private readonly Stream _input;
        private readonly bool _leaveOpen;
        private readonly byte[] _block = new byte[TarFormat.BlockSize];
        private readonly byte[] _skipBuffer = new byte[64 * 1024];
        private EntryContentStream _content;
        private long _dataRemaining;
        private long _contentRemaining;
        private long _paddingRemaining;
        private string _entryPath;
        private string _previousPath;
        private bool _ended;
        private bool _disposed;

        /// <summary>
        /// Opens an archive on a readable stream, such as a decompression stream.
        /// </summary>
        public TarArchiveReader(Stream input, bool leaveOpen = false)
        {
            _input = input ?? throw new ArgumentNullException(nameof(input));
            if (!input.CanRead)
            {
                throw new ArgumentException("The input stream is not readable.", nameof(input));
            }

            _leaveOpen = leaveOpen;
        }

        /// <summary>Bytes of (uncompressed) archive consumed so far.</summary>
        public long Position { get; private set; }

        /// <summary>
        /// Offset of the first header block (extended headers included) of the current entry.
        /// </summary>
        public long EntryOffset { get; private set; }

        /// <summary>
        /// Data of the current entry: a regular file's content, or for a sparse file its data
        /// segments without the holes. Empty for other types. Valid until the next call to
        /// <see cref="ReadNextEntryAsync"/>.
        /// </summary>
        public Stream Content => (Stream)_content ?? Stream.Null;

        /// <summary>
        /// Moves to the next entry and returns its metadata, or null after the end-of-archive
        /// blocks. At the end it reads the input to its end, so that a decompressor verifies
        /// its frame checksum and a HashingStream below hashes every byte.
        /// </summary>
        public async Task<ArchiveEntry> ReadNextEntryAsync(CancellationToken cancellationToken)
        {
            if (_disposed)
            {
                throw new ObjectDisposedException(nameof(TarArchiveReader));
            }

            if (_ended)
            {
                return null;
            }

            if (_content != null)
            {
                _content.Detach();
                _content = null;
            }

            await SkipAsync(_dataRemaining + _paddingRemaining, cancellationToken)
                .ConfigureAwait(false);
            _dataRemaining = 0;
            _contentRemaining = 0;
            _paddingRemaining = 0;
            EntryOffset = Position;
            _previousPath = _entryPath ?? _previousPath;
            _entryPath = null;

            var pax = new PaxHeader();
            string longName = null;
            string longLink = null;
            while (true)
            {
                long headerOffset = Position;
                if (!await ReadHeaderBlockAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (pax.Count > 0 || longName != null || longLink != null)
                    {
                        throw Corrupt(headerOffset,
                            "an extended header is not followed by an entry");
                    }

                    _ended = true;
                    await SkipToEndAsync(cancellationToken).ConfigureAwait(false);
                    return null;
                }

                byte typeFlag = _block[TarFormat.TypeFlagOffset];
                long size = ParseHeaderNumber(
                    TarFormat.SizeOffset, TarFormat.SizeLength, "size", headerOffset);
                if (size < 0)
                {
                    throw Corrupt(headerOffset, $"the header declares a negative size ({size})");
                }

                switch (typeFlag)
                {
                    case TarFormat.TypePaxEntry:
                        byte[] paxData = await ReadMetadataAsync(size, headerOffset, cancellationToken)
                            .ConfigureAwait(false);
                        PaxHeader records = PaxHeader.TryDecode(paxData, paxData.Length);
                        if (records == null)
                        {
                            throw Corrupt(headerOffset, "the pax extended header is malformed");
                        }

                        pax.AddRange(records);
                        continue;

                    case TarFormat.TypePaxGlobal:
                    case TarFormat.TypeGnuVolumeLabel:
                        await SkipAsync(TarFormat.PaddedLength(size), cancellationToken)
                            .ConfigureAwait(false);
                        continue;

                    case TarFormat.TypeGnuLongName:
                        byte[] nameData = await ReadMetadataAsync(size, headerOffset, cancellationToken)
                            .ConfigureAwait(false);
                        longName = ReadLongName(nameData);
                        continue;

                    case TarFormat.TypeGnuLongLink:
                        byte[] linkData = await ReadMetadataAsync(size, headerOffset, cancellationToken)
                            .ConfigureAwait(false);
                        longLink = ReadLongName(linkData);
                        continue;

                    case TarFormat.TypeGnuMultiVolume:
                        throw Corrupt(headerOffset,
                            "the entry continues a file from another volume of a multi-volume " +
                            "archive, which is not supported");
                }

                return await ReadEntryAsync(
                    pax, longName, longLink, size, headerOffset, cancellationToken)
                    .ConfigureAwait(false);
            }
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _content?.Detach();
            if (!_leaveOpen)
            {
                _input.Dispose();
            }
        }

        /// <summary>
        /// Builds the entry from the header block now in the buffer and what preceded it.
        /// </summary>
        private async Task<ArchiveEntry> ReadEntryAsync(
            PaxHeader pax, string longName, string longLink, long headerSize, long headerOffset,
            CancellationToken cancellationToken)
        {
            byte typeFlag = _block[TarFormat.TypeFlagOffset];
            string rawName = pax.GetString(PaxHeader.Path) ?? longName ?? ReadHeaderName();
            string rawLink = pax.GetString(PaxHeader.LinkPath) ?? longLink ??
                TarFormat.ReadText(_block, TarFormat.LinkNameOffset, TarFormat.NameLength);
            var entry = new ArchiveEntry
            {
                Type = GetEntryType(typeFlag, rawName),
                Mode = (int)(ParseHeaderNumber(
                    TarFormat.ModeOffset, TarFormat.IdLength, "mode", headerOffset) & PermissionMask),
                Uid = ReadId(pax, PaxHeader.Uid, TarFormat.UidOffset, headerOffset),
                Gid = ReadId(pax, PaxHeader.Gid, TarFormat.GidOffset, headerOffset),
                UserName = NullIfEmpty(pax.GetString(PaxHeader.UserName) ??
                    TarFormat.ReadText(_block, TarFormat.UserNameOffset, TarFormat.OwnerNameLength)),
                GroupName = NullIfEmpty(pax.GetString(PaxHeader.GroupName) ??
                    TarFormat.ReadText(_block, TarFormat.GroupNameOffset, TarFormat.OwnerNameLength)),
                MtimeNanoseconds = ReadMtime(pax, headerOffset),
                Xattrs = ReadXattrs(pax),
            };

            long dataSize = headerSize;
            string paxSize = pax.GetString(PaxHeader.Size);
            if (paxSize != null && !PaxHeader.TryParseDecimal(paxSize, out dataSize))
            {
                throw Corrupt(headerOffset, $"the pax size '{paxSize}' is not a valid number");
            }

            entry.Path = NormalizePath(rawName);
            _entryPath = entry.Path;
            if (entry.Type == EntryType.Symlink)
            {
                entry.LinkTarget = rawLink;
            }
            else if (entry.Type == EntryType.HardLink)
            {
                entry.LinkTarget = NormalizePath(rawLink);
            }
            else if (entry.Type == EntryType.CharDevice || entry.Type == EntryType.BlockDevice)
            {
                entry.DeviceMajor = (int)ParseHeaderNumber(
                    TarFormat.DeviceMajorOffset, TarFormat.IdLength, "device major", headerOffset);
                entry.DeviceMinor = (int)ParseHeaderNumber(
                    TarFormat.DeviceMinorOffset, TarFormat.IdLength, "device minor", headerOffset);
            }

            _dataRemaining = dataSize;
            _paddingRemaining = TarFormat.PaddedLength(dataSize) - dataSize;
            if (entry.Type == EntryType.File)
            {
                await ReadSparseLayoutAsync(entry, pax, typeFlag, headerOffset, cancellationToken)
                    .ConfigureAwait(false);
                _contentRemaining = _dataRemaining;
                if (entry.SparseMap == null)
                {
                    entry.Size = dataSize;
                }

                _content = new EntryContentStream(this, _contentRemaining);
            }

            return entry;
        }

        private string ReadHeaderName()
        {
            string name = TarFormat.ReadText(_block, TarFormat.NameOffset, TarFormat.NameLength);
            if (TarFormat.HasPosixMagic(_block) && _block[TarFormat.PrefixOffset] != 0)
            {
                string prefix = TarFormat.ReadText(_block, TarFormat.PrefixOffset, TarFormat.PrefixLength);
                name = prefix + "/" + name;
            }

            return name;
        }

        private static EntryType GetEntryType(byte typeFlag, string rawName)
        {
            switch (typeFlag)
            {
                case TarFormat.TypeHardLink: return EntryType.HardLink;
                case TarFormat.TypeSymlink: return EntryType.Symlink;
                case TarFormat.TypeCharDevice: return EntryType.CharDevice;
                case TarFormat.TypeBlockDevice: return EntryType.BlockDevice;
                case TarFormat.TypeDirectory: return EntryType.Directory;
                case TarFormat.TypeGnuDumpDir: return EntryType.Directory;
                case TarFormat.TypeFifo: return EntryType.Fifo;
                case TarFormat.TypeFileOld:
                case TarFormat.TypeFile:
                    // Pre-POSIX tars mark directories only by a trailing slash.
                    return rawName.EndsWith("/", StringComparison.Ordinal)
                        ? EntryType.Directory
                        : EntryType.File;
                default:
                    // POSIX: an unknown type is read as a regular file ('7' contiguous included).
                    return EntryType.File;
            }
        }

        /// <summary>
        /// Makes a stored name volume-relative: drops a leading "./" (what tar -C DIR . writes)
        /// and trailing slashes; the root itself becomes ".".
        /// </summary>
        private static string NormalizePath(string name)
        {
            string path = name;
            while (path.StartsWith("./", StringComparison.Ordinal))
            {
                path = path.Substring(2);
            }

            path = path.TrimEnd('/');
            if (path.Length == 0 || path == ".")
            {
                return name.StartsWith("/", StringComparison.Ordinal) ? "/" : ".";
            }

            return path;
        }

        private int ReadId(PaxHeader pax, string keyword, int offset, long headerOffset)
        {
            string text = pax.GetString(keyword);
            long value;
            if (text != null)
            {
                if (!PaxHeader.TryParseDecimal(text, out value) || value > uint.MaxValue)
                {
                    throw Corrupt(headerOffset, $"the pax {keyword} '{text}' is not a valid id");
                }
            }
            else
            {
                value = ParseHeaderNumber(offset, TarFormat.IdLength, keyword, headerOffset);
            }

            // Ids are unsigned 32-bit on Linux; the int carries them bit for bit.
            return unchecked((int)(uint)value);
        }

        private long ReadMtime(PaxHeader pax, long headerOffset)
        {
            string text = pax.GetString(PaxHeader.Mtime);
            if (text != null)
            {
                if (!PaxHeader.TryParseTime(text, out long nanoseconds))
                {
                    throw Corrupt(headerOffset, $"the pax mtime '{text}' is not a valid time");
                }

                return nanoseconds;
            }

            long seconds = ParseHeaderNumber(
                TarFormat.MtimeOffset, TarFormat.MtimeLength, "mtime", headerOffset);
            long limit = long.MaxValue / NanosecondsPerSecond;
            return Math.Max(-limit, Math.Min(limit, seconds)) * NanosecondsPerSecond;
        }

        /// <summary>
        /// Collects SCHILY.xattr records (GNU tar, Go) and LIBARCHIVE.xattr ones (bsdtar).
        /// </summary>
        private static IDictionary<string, byte[]> ReadXattrs(PaxHeader pax)
        {
            Dictionary<string, byte[]> xattrs = null;
            foreach (KeyValuePair<string, byte[]> record in pax.Records)
            {
                string name;
                byte[] value;
                if (record.Key.StartsWith(PaxHeader.XattrPrefix, StringComparison.Ordinal))
                {
                    string encodedName = record.Key.Substring(PaxHeader.XattrPrefix.Length);
                    name = PaxHeader.DecodeXattrName(encodedName);
                    value = record.Value;
                }
                else if (record.Key.StartsWith(
                    PaxHeader.LibarchiveXattrPrefix, StringComparison.Ordinal))
                {
                    // libarchive percent-encodes the name and base64-encodes the value.
                    string encodedName = record.Key.Substring(PaxHeader.LibarchiveXattrPrefix.Length);
                    name = Uri.UnescapeDataString(encodedName);
                    value = DecodeBase64(record.Value);
                    if (value == null)
                    {
                        continue;
                    }
                }
                else
                {
                    continue;
                }

                xattrs = xattrs ?? new Dictionary<string, byte[]>(StringComparer.Ordinal);
                xattrs[name] = value;
            }

            return xattrs;
        }

        private static byte[] DecodeBase64(byte[] value)
        {
            string text = TarFormat.LenientUtf8.GetString(value).TrimEnd('=');
            text = text.PadRight(text.Length + (4 - text.Length % 4) % 4, '=');
            try
            {
                return Convert.FromBase64String(text);
            }
            catch (FormatException)
            {
                return null;
            }
        }

        /// <summary>
        /// Reads the next header block; returns false at the two zero blocks that end the archive.
        /// </summary>
        private async Task<bool> ReadHeaderBlockAsync(CancellationToken cancellationToken)
        {
            long offset = Position;
            int read = await ReadFullAsync(_block, TarFormat.BlockSize, cancellationToken)
                .ConfigureAwait(false);
            if (read == 0)
            {
                throw Corrupt(offset,
                    "the archive ends without its end-of-archive blocks, so it is truncated");
            }

            if (read < TarFormat.BlockSize)
            {
                throw Corrupt(offset, "the archive ends inside a header block, so it is truncated");
            }

            if (TarFormat.IsZeroBlock(_block))
            {
                read = await ReadFullAsync(_block, TarFormat.BlockSize, cancellationToken)
                    .ConfigureAwait(false);
                if (read == 0 || (read == TarFormat.BlockSize && TarFormat.IsZeroBlock(_block)))
                {
                    return false;
                }

                throw Corrupt(offset, "a zero block appears before the end of the archive");
            }

            bool parsed = TarFormat.TryParseNumber(
                _block, TarFormat.ChecksumOffset, TarFormat.ChecksumLength, out long stored);
            if (!parsed ||
                (stored != TarFormat.ComputeChecksum(_block, signedBytes: false) &&
                stored != TarFormat.ComputeChecksum(_block, signedBytes: true)))
            {
                throw Corrupt(offset, "the header checksum does not match");
            }

            return true;
        }

        private long ParseHeaderNumber(int offset, int length, string field, long headerOffset)
        {
            if (!TarFormat.TryParseNumber(_block, offset, length, out long value))
            {
                throw Corrupt(headerOffset,
                    $"the {field} field of the header is not a valid number");
            }

            return value;
        }

        private async Task<byte[]> ReadMetadataAsync(
            long size, long headerOffset, CancellationToken cancellationToken)
        {
            if (size > MaxMetadataSize)
            {
                throw Corrupt(headerOffset,
                    $"an extended header of {size} bytes exceeds the limit of {MaxMetadataSize} bytes");
            }

            var data = new byte[size];
            await ReadExactAsync(data, (int)size, "extended header", cancellationToken)
                .ConfigureAwait(false);
            await SkipAsync(TarFormat.PaddedLength(size) - size, cancellationToken)
                .ConfigureAwait(false);
            return data;
        }

        private static string ReadLongName(byte[] data)
        {
            int end = Array.IndexOf(data, (byte)0);
            return TarFormat.LenientUtf8.GetString(data, 0, end < 0 ? data.Length : end);
        }

        private static string NullIfEmpty(string text)
        {
            return string.IsNullOrEmpty(text) ? null : text;
        }

        private async Task SkipAsync(long count, CancellationToken cancellationToken)
        {
            while (count > 0)
            {
                int chunk = (int)Math.Min(_skipBuffer.Length, count);
                int read = await ReadInputAsync(_skipBuffer, 0, chunk, cancellationToken)
                    .ConfigureAwait(false);
                if (read == 0)
                {
                    throw Corrupt(Position,
                        "the archive ends inside the data of an entry, so it is truncated");
                }

                count -= read;
            }
        }

        private async Task SkipToEndAsync(CancellationToken cancellationToken)
        {
            while (await ReadInputAsync(_skipBuffer, 0, _skipBuffer.Length, cancellationToken)
                .ConfigureAwait(false) > 0)
            {
            }
        }

        private async Task ReadExactAsync(
            byte[] buffer, int count, string what, CancellationToken cancellationToken)
        {
            long offset = Position;
            if (await ReadFullAsync(buffer, count, cancellationToken).ConfigureAwait(false) < count)
            {
                throw Corrupt(offset, $"the archive ends inside a {what}, so it is truncated");
            }
        }

        /// <summary>
        /// Reads until count bytes or the end of the input; returns how many it read.
        /// </summary>
        private async Task<int> ReadFullAsync(
            byte[] buffer, int count, CancellationToken cancellationToken)
        {
            int total = 0;
            while (total < count)
            {
                int read = await ReadInputAsync(buffer, total, count - total, cancellationToken)
                    .ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return total;
        }

        private async Task<int> ReadInputAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            int read;
            try
            {
                read = await _input.ReadAsync(buffer, offset, count, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception exception) when (IsDecompressionFailure(exception))
            {
                throw Corrupt(Position,
                    "the compressed data is invalid (" + exception.Message + ")", exception);
            }

            Position += read;
            return read;
        }

        private int ReadInput(byte[] buffer, int offset, int count)
        {
            int read;
            try
            {
                read = _input.Read(buffer, offset, count);
            }
            catch (Exception exception) when (IsDecompressionFailure(exception))
            {
                throw Corrupt(Position,
                    "the compressed data is invalid (" + exception.Message + ")", exception);
            }

            Position += read;
            return read;
        }

        /// <summary>
        /// True for what GZipStream (InvalidDataException) and ZstdSharp (ZstdException,
        /// EndOfStreamException at a cut frame) throw for damaged input.
        /// </summary>
        private static bool IsDecompressionFailure(Exception exception)
        {
            return exception is InvalidDataException || exception is EndOfStreamException ||
                exception is ZstdSharp.ZstdException;
        }

        private int ReadContent(byte[] buffer, int offset, int count)
        {
            if (_contentRemaining == 0 || count == 0)
            {
                return 0;
            }

            int read = ReadInput(buffer, offset, (int)Math.Min(count, _contentRemaining));
            return AdvanceContent(read);
        }

        private async Task<int> ReadContentAsync(
            byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            if (_contentRemaining == 0 || count == 0)
            {
                return 0;
            }

            int request = (int)Math.Min(count, _contentRemaining);
            int read = await ReadInputAsync(buffer, offset, request, cancellationToken)
                .ConfigureAwait(false);
            return AdvanceContent(read);
        }

        private int AdvanceContent(int read)
        {
            if (read == 0)
            {
                throw Corrupt(Position,
                    "the archive ends inside the data of the entry, so it is truncated");
            }

            _contentRemaining -= read;
            _dataRemaining -= read;
            return read;
        }

        private MeshVolumeException Corrupt(long offset, string detail, Exception inner = null)
        {
            string entry = _entryPath != null ? $" (entry '{_entryPath}')"
                : _previousPath != null ? $" (after entry '{_previousPath}')"
                : string.Empty;
            return new MeshVolumeException(
                $"The archive is corrupt at byte {offset} of its tar data{entry}: {detail}. " +
                "It cannot be read past this point; use another backup.",
                MeshErrors.ArchiveCorrupt, ErrorCategory.InvalidData, inner);
        }

        /// <summary>
        /// Content of one entry, reading through the reader until the next entry.
        /// </summary>
        private sealed class EntryContentStream : ReadOnlyStream
        {
            private TarArchiveReader _reader;
            private long _position;

            public EntryContentStream(TarArchiveReader reader, long length)
            {
                _reader = reader;
                Length = length;
            }

            public override long Length { get; }

            public override long Position
            {
                get => _position;
                set => throw new NotSupportedException();
            }

            public void Detach()
            {
                _reader = null;
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                int read = GetReader().ReadContent(buffer, offset, count);
                _position += read;
                return read;
            }

            public override async Task<int> ReadAsync(
                byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            {
                int read = await GetReader()
                    .ReadContentAsync(buffer, offset, count, cancellationToken)
                    .ConfigureAwait(false);
                _position += read;
                return read;
            }

            private TarArchiveReader GetReader()
            {
                return _reader ?? throw new InvalidOperationException(
                    "The content stream of an archive entry is no longer valid, because the " +
                    "reader moved on to the next entry.");
            }
        }
    }
}
