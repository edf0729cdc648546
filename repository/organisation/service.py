"""Organisations: create them, manage their team, and read their public page.

Roles inside an organisation (``organisation_members.role``):

- ``member`` contributes in the organisation's name (may name it as a material's organisation);
- ``curator`` also reviews the organisation's submissions: the organisation is added to what the
  account reviews (``User.scope["curates_for"]``, see ``repository.policy.scope``), which this
  service keeps equal to the account's curator memberships. It only ever adds the
  organisation's own materials: the scope an admin set is untouched. Only an account whose own
  role is ``curator`` can hold it: a manager cannot make anybody a reviewer who is not one
  already (that is an admin's decision), only say for which organisation they also review;
- ``manager`` also invites and removes members and changes their roles.

Admins do everything. Every change is audited.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from repository.audit.service import audit
from repository.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from repository.models import MemberRole, Organisation, OrganisationMember, Role, User
from repository.organisation.schemas import (
    CountGroup,
    MemberAdd,
    MemberRead,
    MemberUpdate,
    OrganisationCreate,
    OrganisationPage,
    OrganisationRead,
)
from repository.organisation.store import OrganisationStore
from repository.policy.roles import has_role
from repository.policy.scope import CURATES_FOR
from repository.user.store import UserStore
from repository.vocabularies import get_vocabulary

#: Materials listed per (grade, subject) group on the public page; the counts cover them all.
PAGE_GROUP_SIZE = 5


def _signed_in(actor: User | None) -> User:
    if actor is None or actor.disabled:
        raise NotAuthenticated("sign in first")
    return actor


class OrganisationService:
    # --- reading ------------------------------------------------------------------------------

    def get(self, session: Session, slug: str) -> Organisation:
        """The organisation named ``slug`` (public). Raises NotFound."""
        found = OrganisationStore.from_session(session).by_slug(slug) if isinstance(slug, str) else None
        if found is None:
            raise NotFound(f"no organisation {slug!r}")
        return found

    def all(self, session: Session) -> list[tuple[Organisation, int]]:
        """Every organisation with its number of public materials (public)."""
        return OrganisationStore.from_session(session).with_counts()

    def names(self, session: Session, slugs: list[str]) -> dict[str, str]:
        """Display names of organisations by slug (facet labels); unknown slugs are left out."""
        return {o.slug: o.name for o in OrganisationStore.from_session(session).by_slugs(slugs)}

    def role_of(self, session: Session, actor: User | None, organisation: Organisation) -> MemberRole | None:
        """The actor's role inside the organisation (None: not a member, or signed out/disabled)."""
        if actor is None or actor.disabled:
            return None
        found = OrganisationStore.from_session(session).membership(organisation.id, actor.id)
        return MemberRole(found.role) if found is not None else None

    def memberships(self, session: Session, actor: User) -> list[OrganisationMember]:
        """The actor's own memberships, organisations loaded."""
        return OrganisationStore.from_session(session).memberships_of(actor.id)

    def page(self, session: Session, slug: str) -> OrganisationPage:
        """The public page: the organisation and its approved materials by grade and subject."""
        org = self.get(session, slug)
        store = OrganisationStore.from_session(session)
        rows = store.approved_materials(org.id)
        subjects = get_vocabulary("subject")
        groups: dict[tuple[int | None, str | None], list[tuple[str, str]]] = defaultdict(list)
        by_grade: dict[str, int] = defaultdict(int)
        for material_id, title, meta, _created in rows:
            grades: list[int | None] = [g for g in meta.get("grades") or [] if isinstance(g, int)] or [None]
            subs: list[str | None] = [s for s in meta.get("subjects") or [] if isinstance(s, str)] or [None]
            for g in grades:
                by_grade["" if g is None else str(g)] += 1
                for s in subs:
                    groups[(g, s)].append((material_id, title))

        def order(key: tuple[int | None, str | None]) -> tuple[int, str]:
            g, s = key
            return (99 if g is None else g, s or "\uffff")

        out = []
        for key in sorted(groups, key=order):
            g, s = key
            term = subjects.get(s) if s else None
            items = groups[key]
            out.append(
                CountGroup(
                    grade=g,
                    subject=s,
                    subject_label=term.label_vi if term is not None else (s or ""),
                    count=len(items),
                    materials=[{"id": i, "title": t} for i, t in items[:PAGE_GROUP_SIZE]],
                )
            )
        return OrganisationPage(
            organisation=OrganisationRead.model_validate(org),
            total=len(rows),
            members=store.member_count(org.id),
            by_grade=dict(sorted(by_grade.items(), key=lambda kv: (kv[0] == "", int(kv[0] or 0)))),
            groups=out,
        )

    def members(self, session: Session, actor: User | None, slug: str) -> list[MemberRead]:
        """The team (usernames are not public): for its members and admins.

        Raises:
            NotAuthenticated: signed out. PermissionDenied: not a member nor an admin.
        """
        actor = _signed_in(actor)
        org = self.get(session, slug)
        if not has_role(actor, Role.admin) and self.role_of(session, actor, org) is None:
            raise PermissionDenied("only the organisation's members and admins see its team")
        return [
            MemberRead(
                username=m.user.username,
                display_name=m.user.display_name,
                role=MemberRole(m.role),
                account_role=m.user.role,
                added_at=m.created_at,
            )
            for m in OrganisationStore.from_session(session).members(org.id)
        ]

    # --- writing ------------------------------------------------------------------------------

    def create(
        self, session: Session, actor: User | None, data: OrganisationCreate, *, ip: str | None = None
    ) -> Organisation:
        """Create an organisation (admins only).

        Raises:
            PermissionDenied: not an admin. Conflict: the slug is taken.
        """
        actor = _signed_in(actor)
        if not has_role(actor, Role.admin):
            raise PermissionDenied("only admins create organisations")
        store = OrganisationStore.from_session(session)
        if store.by_slug(data.slug) is not None:
            raise Conflict(f"an organisation named {data.slug!r} already exists")
        org = store.add(
            Organisation(
                slug=data.slug,
                name=data.name.strip(),
                kind=data.kind.value,
                description=data.description.strip(),
                url=data.url.strip(),
            )
        )
        audit.record(
            session,
            actor=actor,
            action="organisation.created",
            subject_type="organisation",
            subject_id=org.id,
            data={"slug": org.slug, "name": org.name, "kind": org.kind},
            ip=ip,
        )
        return org

    def _manage(self, session: Session, actor: User | None, slug: str) -> tuple[User, Organisation]:
        actor = _signed_in(actor)
        org = self.get(session, slug)
        if not has_role(actor, Role.admin) and self.role_of(session, actor, org) is not MemberRole.manager:
            raise PermissionDenied("only the organisation's managers and admins manage its members")
        return actor, org

    def _target(self, session: Session, username: str) -> User:
        user = UserStore.from_session(session).by_username(username)
        if user is None:
            raise NotFound(f"no account named {username!r}")
        return user

    def _check_role(self, target: User, role: MemberRole) -> None:
        if role is MemberRole.curator and Role(target.role) is not Role.curator:
            raise ValidationFailed(
                f"{target.username} is not a curator account: an admin makes an account a curator first, "
                "then the organisation can say it reviews for it",
                details=[{"field": "role", "message": "the account's own role must be curator"}],
            )

    def _keep_a_manager(
        self, session: Session, actor: User, org: Organisation, leaving: OrganisationMember
    ) -> None:
        """Refuse to leave an organisation without a manager, unless an admin does it."""
        if has_role(actor, Role.admin) or leaving.role != MemberRole.manager:
            return
        managers = [
            m for m in OrganisationStore.from_session(session).members(org.id) if m.role == MemberRole.manager
        ]
        if len(managers) <= 1:
            raise Conflict("the organisation would have no manager left; name another manager first")

    def add_member(
        self, session: Session, actor: User | None, slug: str, data: MemberAdd, *, ip: str | None = None
    ) -> MemberRead:
        """Invite an existing account into the organisation with a role (managers and admins).

        Raises:
            PermissionDenied: not a manager of it nor an admin. NotFound: no such account.
            Conflict: already a member. ValidationFailed: ``curator`` for a non-curator account.
        """
        actor, org = self._manage(session, actor, slug)
        target = self._target(session, data.username)
        store = OrganisationStore.from_session(session)
        if store.membership(org.id, target.id) is not None:
            raise Conflict(f"{target.username} is already a member; change the role instead")
        self._check_role(target, data.role)
        member = store_add_member(store, org, target, data.role, actor)
        self._sync_scope(session, target)
        audit.record(
            session,
            actor=actor,
            action="organisation.member_added",
            subject_type="organisation",
            subject_id=org.id,
            data={"username": target.username, "role": data.role.value},
            ip=ip,
        )
        return _read(member, target)

    def update_member(
        self,
        session: Session,
        actor: User | None,
        slug: str,
        username: str,
        data: MemberUpdate,
        *,
        ip: str | None = None,
    ) -> MemberRead:
        """Change a member's role (managers and admins)."""
        actor, org = self._manage(session, actor, slug)
        target = self._target(session, username)
        member = OrganisationStore.from_session(session).membership(org.id, target.id)
        if member is None:
            raise NotFound(f"{target.username} is not a member of {org.slug}")
        self._check_role(target, data.role)
        if data.role is not MemberRole.manager:
            self._keep_a_manager(session, actor, org, member)
        before = member.role
        member.role = data.role.value
        session.flush()
        self._sync_scope(session, target)
        audit.record(
            session,
            actor=actor,
            action="organisation.member_role_changed",
            subject_type="organisation",
            subject_id=org.id,
            data={"username": target.username, "role": [before, data.role.value]},
            ip=ip,
        )
        return _read(member, target)

    def remove_member(
        self, session: Session, actor: User | None, slug: str, username: str, *, ip: str | None = None
    ) -> None:
        """Remove a member (managers and admins; anybody may leave by naming themselves)."""
        actor = _signed_in(actor)
        org = self.get(session, slug)
        target = self._target(session, username)
        if target.id != actor.id:
            actor, org = self._manage(session, actor, slug)
        store = OrganisationStore.from_session(session)
        member = store.membership(org.id, target.id)
        if member is None:
            raise NotFound(f"{target.username} is not a member of {org.slug}")
        self._keep_a_manager(session, actor, org, member)
        role = member.role
        session.delete(member)
        session.flush()
        self._sync_scope(session, target)
        audit.record(
            session,
            actor=actor,
            action="organisation.member_removed",
            subject_type="organisation",
            subject_id=org.id,
            data={"username": target.username, "role": role},
            ip=ip,
        )

    def _sync_scope(self, session: Session, user: User) -> None:
        """``User.scope["curates_for"]`` := the organisations where the account is a curator."""
        ids = sorted(
            m.organisation_id
            for m in OrganisationStore.from_session(session).memberships_of(user.id)
            if m.role == MemberRole.curator
        )
        scope: dict[str, Any] = {k: v for k, v in (user.scope or {}).items() if k != CURATES_FOR}
        if ids:
            scope[CURATES_FOR] = ids
        if scope != user.scope:
            user.scope = scope
            session.flush()

    def for_material(self, session: Session, actor: User, slug: str) -> Organisation:
        """The organisation a material is contributed by, checked: the actor must belong to it
        (any role) or be an admin.

        Raises:
            NotFound: no such organisation. PermissionDenied: not a member.
        """
        org = self.get(session, slug)
        if not has_role(actor, Role.admin) and self.role_of(session, actor, org) is None:
            raise PermissionDenied(
                f"only members of {org.name} can publish materials in its name; "
                "ask one of its managers to add you"
            )
        return org


def store_add_member(
    store: OrganisationStore, org: Organisation, user: User, role: MemberRole, actor: User | None
) -> OrganisationMember:
    member = OrganisationMember(
        organisation_id=org.id, user_id=user.id, role=role.value, added_by_id=actor.id if actor else None
    )
    store.session.add(member)
    store.session.flush()
    return member


def _read(member: OrganisationMember, user: User) -> MemberRead:
    return MemberRead(
        username=user.username,
        display_name=user.display_name,
        role=MemberRole(member.role),
        account_role=user.role,
        added_at=member.created_at,
    )


organisations = OrganisationService()
