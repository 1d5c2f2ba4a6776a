using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace MeshVolume.Services.Archive
{
    /// <summary>
    /// Records of a pax extended header (POSIX.1-2001): each is "LENGTH KEYWORD=VALUE\n",
    /// where LENGTH counts the whole record in decimal, its own digits included. Values are
    /// bytes, because SCHILY.xattr values may be binary; text values are UTF-8.
    /// </summary>
    internal sealed class PaxHeader
    {
        public const string Path = "path";
        public const string LinkPath = "linkpath";
        public const string Size = "size";
        public const string Uid = "uid";
        public const string Gid = "gid";
        public const string UserName = "uname";
        public const string GroupName = "gname";
        public const string Mtime = "mtime";
        public const string XattrPrefix = "SCHILY.xattr.";
        public const string LibarchiveXattrPrefix = "LIBARCHIVE.xattr.";
        public const string SparseMajor = "GNU.sparse.major";
        public const string SparseMinor = "GNU.sparse.minor";
        public const string SparseName = "GNU.sparse.name";
        public const string SparseRealSize = "GNU.sparse.realsize";
        public const string SparseSize = "GNU.sparse.size";
        public const string SparseMap = "GNU.sparse.map";
        public const string SparseOffset = "GNU.sparse.offset";
        public const string SparseNumBytes = "GNU.sparse.numbytes";

        private const long NanosecondsPerSecond = 1000000000;

        private readonly List<KeyValuePair<string, byte[]>> _records =
            new List<KeyValuePair<string, byte[]>>();

        /// <summary>Records in the order they were added or read; a later one overrides.</summary>
        public IReadOnlyList<KeyValuePair<string, byte[]>> Records => _records;

        public int Count => _records.Count;

        public void Add(string keyword, byte[] value)
        {
            _records.Add(new KeyValuePair<string, byte[]>(keyword, value));
        }

        public void Add(string keyword, string value)
        {
            Add(keyword, TarFormat.StrictUtf8.GetBytes(value));
        }

        public void Add(string keyword, long value)
        {
            Add(keyword, value.ToString(CultureInfo.InvariantCulture));
        }

        /// <summary>Appends all records of another header, as a later header overrides.</summary>
        public void AddRange(PaxHeader other)
        {
            _records.AddRange(other._records);
        }

        /// <summary>Returns the last value recorded for the keyword, or null.</summary>
        public byte[] GetBytes(string keyword)
        {
            for (int i = _records.Count - 1; i >= 0; i--)
            {
                if (_records[i].Key == keyword)
                {
                    return _records[i].Value;
                }
            }

            return null;
        }

        public string GetString(string keyword)
        {
            byte[] value = GetBytes(keyword);
            return value == null ? null : TarFormat.LenientUtf8.GetString(value);
        }

        /// <summary>Encodes the records into the data of an 'x' header entry.</summary>
        public byte[] Encode()
        {
            using (var data = new MemoryStream())
            {
                foreach (KeyValuePair<string, byte[]> record in _records)
                {
                    byte[] keyword = TarFormat.StrictUtf8.GetBytes(record.Key);

                    // " KEYWORD=VALUE\n" plus the length's own digits; adding the digits can
                    // carry the length into one more digit, so settle it in a loop.
                    int bodyLength = 1 + keyword.Length + 1 + record.Value.Length + 1;
                    int length = bodyLength + 1;
                    while (length != bodyLength + CountDigits(length))
                    {
                        length = bodyLength + CountDigits(length);
                    }

                    byte[] prefix = Encoding.ASCII.GetBytes(
                        length.ToString(CultureInfo.InvariantCulture) + " ");
                    data.Write(prefix, 0, prefix.Length);
                    data.Write(keyword, 0, keyword.Length);
                    data.WriteByte((byte)'=');
                    data.Write(record.Value, 0, record.Value.Length);
                    data.WriteByte((byte)'\n');
                }

                return data.ToArray();
            }
        }

        /// <summary>
        /// Parses the data of an 'x' or 'g' entry. Returns null when a record is malformed.
        /// </summary>
        public static PaxHeader TryDecode(byte[] data, int length)
        {
            var header = new PaxHeader();
            int position = 0;
            while (position < length)
            {
                // Some writers pad the data with NULs after the last record.
                if (data[position] == 0)
                {
                    break;
                }

                int space = Array.IndexOf(data, (byte)' ', position, length - position);
                if (space <= position ||
                    !TryParseDecimal(data, position, space - position, out long recordLength) ||
                    recordLength <= space - position + 1 ||
                    recordLength > length - position)
                {
                    return null;
                }

                int end = position + (int)recordLength;
                int equals = Array.IndexOf(data, (byte)'=', space + 1, end - space - 1);
                if (equals < 0 || data[end - 1] != (byte)'\n')
                {
                    return null;
                }

                string keyword = TarFormat.LenientUtf8.GetString(data, space + 1, equals - space - 1);
                var value = new byte[end - 1 - (equals + 1)];
                Buffer.BlockCopy(data, equals + 1, value, 0, value.Length);
                header.Add(keyword, value);
                position = end;
            }

            return header;
        }

        /// <summary>
        /// Formats nanoseconds since the epoch as decimal seconds, such as 1700000000.5 or
        /// -0.25, dropping trailing zeros of the fraction.
        /// </summary>
        public static string FormatTime(long nanoseconds)
        {
            // Work on the magnitude as unsigned so long.MinValue has no overflow.
            bool negative = nanoseconds < 0;
            ulong magnitude = negative ? (ulong)(-(nanoseconds + 1)) + 1 : (ulong)nanoseconds;
            ulong seconds = magnitude / NanosecondsPerSecond;
            ulong fraction = magnitude % NanosecondsPerSecond;

            var text = new StringBuilder();
            if (negative)
            {
                text.Append('-');
            }

            text.Append(seconds.ToString(CultureInfo.InvariantCulture));
            if (fraction != 0)
            {
                text.Append('.');
                text.Append(fraction.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0'));
            }

            return text.ToString();
        }

        /// <summary>
        /// Parses decimal seconds with an optional sign and fraction into nanoseconds since
        /// the epoch. Digits beyond nanoseconds are dropped; times outside the range of a long
        /// (about the years 1678 to 2262) are clamped to it.
        /// </summary>
        public static bool TryParseTime(string text, out long nanoseconds)
        {
            nanoseconds = 0;
            if (string.IsNullOrEmpty(text))
            {
                return false;
            }

            bool negative = text[0] == '-';
            int start = negative || text[0] == '+' ? 1 : 0;
            int dot = text.IndexOf('.', start);
            string wholePart = dot < 0 ? text.Substring(start) : text.Substring(start, dot - start);
            string fractionPart = dot < 0 ? string.Empty : text.Substring(dot + 1);
            if (!IsDigits(wholePart, allowEmpty: false) || !IsDigits(fractionPart, allowEmpty: true))
            {
                return false;
            }

            if (wholePart.Length > 19)
            {
                nanoseconds = negative ? long.MinValue : long.MaxValue;
                return true;
            }

            if (fractionPart.Length > 9)
            {
                fractionPart = fractionPart.Substring(0, 9);
            }

            long fraction = fractionPart.Length == 0
                ? 0
                : long.Parse(fractionPart.PadRight(9, '0'), CultureInfo.InvariantCulture);
            decimal total = decimal.Parse(wholePart, CultureInfo.InvariantCulture) *
                NanosecondsPerSecond + fraction;
            if (negative)
            {
                total = -total;
            }

            nanoseconds = total > long.MaxValue ? long.MaxValue
                : total < long.MinValue ? long.MinValue
                : (long)total;
            return true;
        }

        public static bool TryParseDecimal(string text, out long value)
        {
            value = 0;
            return !string.IsNullOrEmpty(text) && IsDigits(text, allowEmpty: false) &&
                long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }

        /// <summary>
        /// Encodes an extended attribute name for a SCHILY.xattr keyword as GNU tar 1.34 does:
        /// '%' becomes %25 and '=' becomes %3D, because '=' ends the keyword.
        /// </summary>
        public static string EncodeXattrName(string name)
        {
            return name.Replace("%", "%25").Replace("=", "%3D");
        }

        /// <summary>Reverses <see cref="EncodeXattrName"/>.</summary>
        public static string DecodeXattrName(string keywordSuffix)
        {
            if (keywordSuffix.IndexOf('%') < 0)
            {
                return keywordSuffix;
            }

            var name = new StringBuilder(keywordSuffix.Length);
            for (int i = 0; i < keywordSuffix.Length; i++)
            {
                if (string.CompareOrdinal(keywordSuffix, i, "%3D", 0, 3) == 0 ||
                    string.CompareOrdinal(keywordSuffix, i, "%3d", 0, 3) == 0)
                {
                    name.Append('=');
                    i += 2;
                }
                else if (string.CompareOrdinal(keywordSuffix, i, "%25", 0, 3) == 0)
                {
                    name.Append('%');
                    i += 2;
                }
                else
                {
                    name.Append(keywordSuffix[i]);
                }
            }

            return name.ToString();
        }

        private static bool TryParseDecimal(byte[] data, int offset, int count, out long value)
        {
            value = 0;
            if (count == 0 || count > 18)
            {
                return false;
            }

            for (int i = offset; i < offset + count; i++)
            {
                if (data[i] < (byte)'0' || data[i] > (byte)'9')
                {
                    return false;
                }

                value = value * 10 + (data[i] - '0');
            }

            return true;
        }

        private static bool IsDigits(string text, bool allowEmpty)
        {
            if (text.Length == 0)
            {
                return allowEmpty;
            }

            foreach (char c in text)
            {
                if (c < '0' || c > '9')
                {
                    return false;
                }
            }

            return true;
        }

        private static int CountDigits(int value)
        {
            return value.ToString(CultureInfo.InvariantCulture).Length;
        }
    }
}
