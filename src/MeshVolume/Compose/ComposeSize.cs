using System;
using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshVolume.Compose
{
    /// <summary>Parses the sizes and modes of tmpfs mounts in compose files.</summary>
    internal static class ComposeSize
    {
        private static readonly Regex TmpfsOptionSize = new Regex(
            @"^(?<number>[0-9]+)(?<unit>[kKmMgGtTpPeE]?)$", RegexOptions.CultureInvariant);

        /// <summary>
        /// Parses the size of a long-syntax tmpfs mount as docker-compose 1.29 does with
        /// docker-py's parse_bytes. The size is a number of bytes with an optional unit b, k, m
        /// or g (powers of 1024, any case, 100MB allowed for 100M) and may have a fraction (1.5k).
        /// </summary>
        /// <returns>The size in bytes, or null when the text is not a valid size.</returns>
        public static long? ParseBytes(string text)
        {
            if (text.Length == 0)
            {
                return 0;
            }

            string value = text;
            if (value.Length >= 2 && char.IsLetter(value[value.Length - 2])
                && char.IsLetter(value[value.Length - 1])
                && char.ToLowerInvariant(value[value.Length - 1]) == 'b')
            {
                value = value.Substring(0, value.Length - 1);
            }

            char suffix = char.ToLowerInvariant(value[value.Length - 1]);
            string digits = char.IsDigit(suffix) ? value : value.Substring(0, value.Length - 1);
            long unit;
            switch (char.IsDigit(suffix) ? 'b' : suffix)
            {
                case 'b': unit = 1; break;
                case 'k': unit = 1L << 10; break;
                case 'm': unit = 1L << 20; break;
                case 'g': unit = 1L << 30; break;
                default: return null;
            }

            if (!double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture,
                out double number) || number < 0 || double.IsInfinity(number) || double.IsNaN(number))
            {
                return null;
            }

            double bytes = Math.Truncate(number * unit);
            return bytes > long.MaxValue ? (long?)null : (long)bytes;
        }

        /// <summary>
        /// Parses the size= option of a tmpfs entry (tmpfs: /run:size=100m) as the Linux tmpfs
        /// mount option: a number with an optional unit k, m, g, t, p or e (powers of 1024).
        /// </summary>
        /// <returns>The size in bytes, or null for a size the kernel takes relative to memory
        /// (size=50%) or text that is not a size.</returns>
        public static long? ParseTmpfsOption(string text)
        {
            Match match = TmpfsOptionSize.Match(text);
            if (!match.Success
                || !long.TryParse(match.Groups["number"].Value, NumberStyles.None,
                    CultureInfo.InvariantCulture, out long number))
            {
                return null;
            }

            int shift = "kmgtpe".IndexOf(char.ToLowerInvariant(
                match.Groups["unit"].Value.Length == 0 ? ' ' : match.Groups["unit"].Value[0]));
            try
            {
                return shift < 0 ? number : checked(number * (1L << (10 * (shift + 1))));
            }
            catch (OverflowException)
            {
                return null;
            }
        }

        /// <summary>
        /// Normalises a file mode written in octal (1777, 01777 or 0o1777) to its octal digits
        /// without leading zeros, such as 1777.
        /// </summary>
        /// <returns>The octal digits, or null when the text is not an octal mode.</returns>
        public static string NormalizeMode(string text)
        {
            string digits = text.Trim();
            if (digits.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
            {
                digits = digits.Substring(2);
            }

            if (digits.Length == 0 || digits.Length > 7 || !Regex.IsMatch(digits, "^[0-7]+$"))
            {
                return null;
            }

            return Convert.ToString(Convert.ToInt32(digits, 8), 8);
        }
    }
}
