using System;
using System.Text;

namespace MeshVolume.Services.Archive
{
    /// <summary>
    /// Layout of the 512-byte tar header block (POSIX ustar, with the GNU fields the reader
    /// accepts) and the encoding of its fields.
    /// </summary>
    internal static class TarFormat
    {
        public const int BlockSize = 512;

        public const int NameOffset = 0;
        public const int NameLength = 100;
        public const int ModeOffset = 100;
        public const int UidOffset = 108;
        public const int GidOffset = 116;
        public const int IdLength = 8;
        public const int SizeOffset = 124;
        public const int SizeLength = 12;
        public const int MtimeOffset = 136;
        public const int MtimeLength = 12;
        public const int ChecksumOffset = 148;
        public const int ChecksumLength = 8;
        public const int TypeFlagOffset = 156;
        public const int LinkNameOffset = 157;
        public const int MagicOffset = 257;
        public const int UserNameOffset = 265;
        public const int GroupNameOffset = 297;
        public const int OwnerNameLength = 32;
        public const int DeviceMajorOffset = 329;
        public const int DeviceMinorOffset = 337;
        public const int PrefixOffset = 345;
        public const int PrefixLength = 155;

        // Old GNU sparse header ('S'): four map entries in the header, then the "extended" flag
        // and the logical size. Each extension block contains 21 more entries and its own flag.
        public const int GnuSparseOffset = 386;
        public const int GnuSparseEntriesInHeader = 4;
        public const int GnuIsExtendedOffset = 482;
        public const int GnuRealSizeOffset = 483;
        public const int GnuSparseEntriesInExtension = 21;
        public const int GnuExtensionIsExtendedOffset = 504;

        // Largest values the octal fields hold: 7 digits for ids, 11 digits for size and mtime.
        public const long MaxOctal7 = 07777777;
        public const long MaxOctal11 = 077777777777;

        public const byte TypeFile = (byte)'0';
        public const byte TypeFileOld = 0;
        public const byte TypeHardLink = (byte)'1';
        public const byte TypeSymlink = (byte)'2';
        public const byte TypeCharDevice = (byte)'3';
        public const byte TypeBlockDevice = (byte)'4';
        public const byte TypeDirectory = (byte)'5';
        public const byte TypeFifo = (byte)'6';
        public const byte TypeContiguous = (byte)'7';
        public const byte TypePaxEntry = (byte)'x';
        public const byte TypePaxGlobal = (byte)'g';
        public const byte TypeGnuLongName = (byte)'L';
        public const byte TypeGnuLongLink = (byte)'K';
        public const byte TypeGnuSparse = (byte)'S';
        public const byte TypeGnuDumpDir = (byte)'D';
        public const byte TypeGnuVolumeLabel = (byte)'V';
        public const byte TypeGnuMultiVolume = (byte)'M';

        /// <summary>
        /// Strict UTF-8 for writing, so a string that cannot be encoded is an error.
        /// </summary>
        public static readonly Encoding StrictUtf8 = new UTF8Encoding(false, true);

        /// <summary>Lenient UTF-8 for reading: invalid bytes become U+FFFD.</summary>
        public static readonly Encoding LenientUtf8 = new UTF8Encoding(false, false);

        private static readonly byte[] PosixMagic = Encoding.ASCII.GetBytes("ustar\0" + "00");

        /// <summary>Rounds a data length up to whole blocks.</summary>
        public static long PaddedLength(long length)
        {
            return (length + BlockSize - 1) / BlockSize * BlockSize;
        }

        public static void WritePosixMagic(byte[] block)
        {
            Buffer.BlockCopy(PosixMagic, 0, block, MagicOffset, PosixMagic.Length);
        }

        /// <summary>
        /// True for the POSIX magic "ustar\0" whose prefix field extends the name.
        /// </summary>
        public static bool HasPosixMagic(byte[] block)
        {
            for (int i = 0; i < 6; i++)
            {
                if (block[MagicOffset + i] != PosixMagic[i])
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Writes a number as zero-padded octal with a NUL terminator when it fits, else in
        /// the GNU base-256 form (first byte 0x80, or 0xFF for negative values), which GNU tar
        /// and Go read. Returns false when octal did not fit.
        /// </summary>
        public static bool WriteNumber(byte[] block, int offset, int length, long value)
        {
            long maxOctal = (1L << (3 * (length - 1))) - 1;
            if (value >= 0 && value <= maxOctal)
            {
                WriteOctal(block, offset, length, value);
                return true;
            }

            long remaining = value;
            for (int i = length - 1; i > 0; i--)
            {
                block[offset + i] = (byte)(remaining & 0xFF);
                remaining >>= 8;
            }

            block[offset] = value < 0 ? (byte)0xFF : (byte)0x80;
            return false;
        }

        private static void WriteOctal(byte[] block, int offset, int length, long value)
        {
            block[offset + length - 1] = 0;
            for (int i = length - 2; i >= 0; i--)
            {
                block[offset + i] = (byte)('0' + (value & 7));
                value >>= 3;
            }
        }

        /// <summary>
        /// Parses an octal field (leading spaces, digits, then NUL or space) or a base-256
        /// field. Returns false for any other content.
        /// </summary>
        public static bool TryParseNumber(byte[] block, int offset, int length, out long value)
        {
            value = 0;
            byte first = block[offset];
            if (first == 0x80 || first == 0xFF)
            {
                return TryParseBase256(block, offset, length, out value);
            }

            int i = offset;
            int end = offset + length;
            while (i < end && block[i] == (byte)' ')
            {
                i++;
            }

            for (; i < end; i++)
            {
                byte b = block[i];
                if (b == 0 || b == (byte)' ')
                {
                    break;
                }

                if (b < (byte)'0' || b > (byte)'7' || value > (long.MaxValue >> 3))
                {
                    return false;
                }

                value = (value << 3) | (long)(b - '0');
            }

            for (; i < end; i++)
            {
                if (block[i] != 0 && block[i] != (byte)' ')
                {
                    return false;
                }
            }

            return true;
        }

        private static bool TryParseBase256(byte[] block, int offset, int length, out long value)
        {
            bool negative = block[offset] == 0xFF;
            value = negative ? -1 : 0;
            int firstDigit = offset + 1;
            int significant = length - 1;
            if (significant > 8)
            {
                // Bytes beyond the low 8 must only repeat the sign, or the value overflows.
                byte sign = negative ? (byte)0xFF : (byte)0;
                for (int i = 0; i < significant - 8; i++)
                {
                    if (block[firstDigit + i] != sign)
                    {
                        return false;
                    }
                }

                firstDigit += significant - 8;
            }

            for (int i = firstDigit; i < offset + length; i++)
            {
                value = (value << 8) | block[i];
            }

            return true;
        }

        /// <summary>
        /// Copies as many bytes as fit into a NUL-padded field, cutting at a UTF-8 character
        /// boundary. Returns false when the text was cut.
        /// </summary>
        public static bool WriteText(byte[] block, int offset, int length, byte[] text)
        {
            int count = Math.Min(text.Length, length);
            if (count < text.Length)
            {
                // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
                while (count > 0 && (text[count] & 0xC0) == 0x80)
                {
                    count--;
                }
            }

            Buffer.BlockCopy(text, 0, block, offset, count);
            return count == text.Length;
        }

        /// <summary>Reads a NUL-terminated (or field-filling) text field.</summary>
        public static string ReadText(byte[] block, int offset, int length)
        {
            int end = Array.IndexOf(block, (byte)0, offset, length);
            int count = end < 0 ? length : end - offset;
            return LenientUtf8.GetString(block, offset, count);
        }

        /// <summary>
        /// Sum of the header bytes with the checksum field counted as eight spaces.
        /// </summary>
        public static long ComputeChecksum(byte[] block, bool signedBytes)
        {
            long sum = 0;
            for (int i = 0; i < BlockSize; i++)
            {
                if (i >= ChecksumOffset && i < ChecksumOffset + ChecksumLength)
                {
                    sum += (byte)' ';
                }
                else
                {
                    sum += signedBytes ? (sbyte)block[i] : block[i];
                }
            }

            return sum;
        }

        /// <summary>
        /// Stores the checksum as six octal digits, NUL and space, as GNU tar does.
        /// </summary>
        public static void WriteChecksum(byte[] block)
        {
            long sum = ComputeChecksum(block, signedBytes: false);
            WriteOctal(block, ChecksumOffset, 7, sum);
            block[ChecksumOffset + 7] = (byte)' ';
        }

        public static bool IsZeroBlock(byte[] block)
        {
            for (int i = 0; i < BlockSize; i++)
            {
                if (block[i] != 0)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
