// Package change holds the change class, the one word for "what kind of change is
// this" that the calendar, the risk model and the release engine share.
//
// A [Class] is [Standard] (pre-approved, low risk, routine), [Normal] (assessed and
// approved before it runs) or [Emergency] (must run now to restore or protect
// service), in the ITIL sense. The zero Class means [Normal] everywhere in releasekit:
// a release, a booking or a set of risk facts that names no class is a normal change.
// [Parse] reads a class from a flag, a form or a file, and says what was wrong with a
// bad one.
//
// # Why a package of its own
//
// release, calendar and risk each had a Class type of their own with the same three
// values, so a host converted between them (calendar.Class(r.Class)) and a typo in one
// package went unnoticed in another. The type belongs to none of them: calendar and
// risk are leaves that must not import release or each other, and a host that imports
// only the calendar should not pull in the risk model to name a class. A leaf package
// with one type and no dependencies beyond the standard library is the only place all
// three can import. calendar.Class, release.Class and risk.Class remain as deprecated
// aliases of [Class], so code written against them keeps compiling unchanged, and
// values flow between the packages without conversions.
package change
