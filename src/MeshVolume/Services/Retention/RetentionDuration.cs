using System;
using System.Globalization;
using System.Management.Automation;
using System.Text;

namespace MeshVolume.Services.Retention
{
    /// <summary>
    /// A -KeepWithin duration such as 10d, 2w3d or 1y2m3d4h, in calendar years (y), months (m),
    /// weeks (w), days (d) and hours (h). The units and their arithmetic follow restic 0.14's
    /// --keep-within, except that restic has no w unit: a week here is 7 calendar days.
    /// </summary>
    public sealed class RetentionDuration
    {
        private const string FormatHelp =
            "Use whole numbers, each followed by a unit: y (years), m (months), w (weeks), " +
            "d (days) or h (hours), such as 10d, 2w3d or 1y2m3d4h.";

        private static readonly DateTime MinUtc =
            DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc);

        public RetentionDuration(int years, int months, int weeks, int days, int hours)
        {
            if (years < 0 || months < 0 || weeks < 0 || days < 0 || hours < 0)
            {
                throw Invalid($"{years}y{months}m{weeks}w{days}d{hours}h",
                    "no part may be negative");
            }

            Years = years;
            Months = months;
            Weeks = weeks;
            Days = days;
            Hours = hours;
        }

        public int Years { get; }

        public int Months { get; }

        public int Weeks { get; }

        public int Days { get; }

        public int Hours { get; }

        /// <summary>True when every part is zero.</summary>
        public bool IsZero => Years == 0 && Months == 0 && Weeks == 0 && Days == 0 && Hours == 0;

        /// <summary>
        /// Parses text such as 10d, 2w3d or 1y2m3d4h. Units are lowercase, each appears at most
        /// once, in any order, and the total must be longer than zero. Throws a
        /// MeshVolumeException with the id RetentionPolicyInvalid that names the bad part.
        /// </summary>
        public static RetentionDuration Parse(string text)
        {
            if (!TryParse(text, out RetentionDuration duration, out string error))
            {
                throw Invalid(text, error);
            }

            return duration;
        }

        /// <summary>
        /// Parses like <see cref="Parse"/>, but returns false and the reason on failure.
        /// </summary>
        public static bool TryParse(string text, out RetentionDuration duration, out string error)
        {
            duration = null;
            string input = text?.Trim() ?? string.Empty;
            if (input.Length == 0)
            {
                error = "the duration is empty";
                return false;
            }

            // Parts indexed by the position of their unit in "ymwdh", where -1 means not given.
            const string units = "ymwdh";
            var parts = new[] { -1, -1, -1, -1, -1 };
            int position = 0;
            while (position < input.Length)
            {
                int start = position;
                while (position < input.Length && input[position] >= '0' && input[position] <= '9')
                {
                    position++;
                }

                if (position == start)
                {
                    error = $"expected a number at '{input.Substring(start)}'";
                    return false;
                }

                string digits = input.Substring(start, position - start);
                if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture,
                    out int number))
                {
                    error = $"the number {digits} is too large";
                    return false;
                }

                if (position == input.Length)
                {
                    error = $"the number {digits} has no unit";
                    return false;
                }

                char unit = input[position];
                int index = units.IndexOf(unit);
                if (index < 0)
                {
                    error = $"'{unit}' after the number {digits} is not a unit";
                    return false;
                }

                if (parts[index] >= 0)
                {
                    error = $"the unit '{unit}' appears more than once";
                    return false;
                }

                parts[index] = number;
                position++;
            }

            var result = new RetentionDuration(
                Math.Max(parts[0], 0), Math.Max(parts[1], 0), Math.Max(parts[2], 0),
                Math.Max(parts[3], 0), Math.Max(parts[4], 0));
            if (result.IsZero)
            {
                error = "the duration must be longer than zero";
                return false;
            }

            duration = result;
            error = null;
            return true;
        }

        /// <summary>
        /// Returns the UTC instant this duration before <paramref name="utc"/>, as restic 0.14
        /// computes it. Years, months, weeks and days move the wall-clock date in the time zone,
        /// so a day across a daylight saving change lasts 23 or 25 hours. A date past the end
        /// of its month rolls over into the next month: March 31 minus 1m is March 3, or
        /// March 2 in a leap year. Hours are then subtracted as elapsed time.
        /// Returns DateTime.MinValue (as UTC) when the result is before year 1.
        /// </summary>
        public DateTime SubtractFrom(DateTime utc, TimeZoneInfo timeZone)
        {
            if (timeZone == null)
            {
                throw new ArgumentNullException(nameof(timeZone));
            }

            DateTime wallClock = TimeZoneInfo.ConvertTimeFromUtc(
                DateTime.SpecifyKind(utc, DateTimeKind.Utc), timeZone);

            long monthIndex = wallClock.Year * 12L + (wallClock.Month - 1) -
                Years * 12L - Months;
            if (monthIndex < 12)
            {
                return MinUtc;
            }

            // Day 1 of the target month plus the day offset, so that a day past the end of
            // the month rolls into the next month, as in Go's time.Date.
            var firstOfMonth = new DateTime((int)(monthIndex / 12), (int)(monthIndex % 12) + 1, 1);
            long dayOffset = wallClock.Day - 1L - Days - Weeks * 7L;
            if (dayOffset < 0 && -dayOffset > firstOfMonth.Ticks / TimeSpan.TicksPerDay)
            {
                return MinUtc;
            }

            DateTime targetWallClock = firstOfMonth.AddDays(dayOffset) + wallClock.TimeOfDay;
            DateTime result = WallClockToUtc(targetWallClock, timeZone);

            if (Hours > result.Ticks / TimeSpan.TicksPerHour)
            {
                return MinUtc;
            }

            return result.AddHours(-Hours);
        }

        /// <summary>Formats the duration with units in the order y, m, w, d, h: 2w3d.</summary>
        public override string ToString()
        {
            var text = new StringBuilder();
            Append(text, Years, 'y');
            Append(text, Months, 'm');
            Append(text, Weeks, 'w');
            Append(text, Days, 'd');
            Append(text, Hours, 'h');
            return text.Length == 0 ? "0h" : text.ToString();
        }

        public override bool Equals(object obj)
        {
            return obj is RetentionDuration other && other.Years == Years &&
                other.Months == Months && other.Weeks == Weeks && other.Days == Days &&
                other.Hours == Hours;
        }

        public override int GetHashCode()
        {
            return ToString().GetHashCode();
        }

        /// <summary>
        /// Converts a wall-clock time in the zone to UTC with the same choice as Go's time.Date,
        /// which restic uses. A time in the hour skipped by a daylight saving change moves
        /// forward by the size of the change. A time in a repeated hour becomes the later of
        /// its two instants.
        /// </summary>
        internal static DateTime WallClockToUtc(DateTime wallClock, TimeZoneInfo timeZone)
        {
            var asIfUtc = DateTime.SpecifyKind(wallClock, DateTimeKind.Utc);
            TimeSpan offset = timeZone.GetUtcOffset(asIfUtc);
            DateTime utc = Shift(asIfUtc, offset);

            // Read as UTC, the wall-clock time can lie on the other side of a change. The
            // offset in force at the first estimate is then the right one.
            TimeSpan corrected = timeZone.GetUtcOffset(utc);
            return corrected == offset ? utc : Shift(asIfUtc, corrected);
        }

        private static DateTime Shift(DateTime asIfUtc, TimeSpan offset)
        {
            long ticks = asIfUtc.Ticks - offset.Ticks;
            if (ticks < 0)
            {
                return MinUtc;
            }

            return ticks > DateTime.MaxValue.Ticks
                ? DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc)
                : new DateTime(ticks, DateTimeKind.Utc);
        }

        private static void Append(StringBuilder text, int value, char unit)
        {
            if (value != 0)
            {
                text.Append(value.ToString(CultureInfo.InvariantCulture)).Append(unit);
            }
        }

        private static MeshVolumeException Invalid(string text, string reason)
        {
            return new MeshVolumeException(
                $"The duration '{text}' is invalid: {reason}. {FormatHelp}",
                MeshErrors.RetentionPolicyInvalid, ErrorCategory.InvalidArgument);
        }
    }
}
