// The reader's invitations on the options page: each says which team, with which role and who
// invited them, and the reader accepts or declines it. Server text is always text.
import type { Invitation } from "../shared/api.gen";

export type Answer = (invitation: Invitation, accept: boolean) => void;

export function renderInvitations(doc: Document, list: HTMLElement, invitations: Invitation[], answer: Answer): void {
  list.replaceChildren();
  for (const invitation of invitations) {
    const item = doc.createElement("li");
    item.dataset.invitation = invitation.id;
    const text = doc.createElement("span");
    const by = invitation.invited_by ? `, invited by ${invitation.invited_by}` : "";
    text.textContent = `${invitation.team_name} (as ${invitation.role}${by})`;
    item.append(text);
    for (const [label, accept] of [["Join", true], ["Decline", false]] as const) {
      const button = doc.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.setAttribute("aria-label", `${label} ${invitation.team_name}`);
      // Only the reader's own click answers: a synthetic event from a script is ignored.
      button.addEventListener("click", (e) => {
        if (e.isTrusted) answer(invitation, accept);
      });
      item.append(" ", button);
    }
    list.append(item);
  }
}
